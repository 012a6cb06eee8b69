import { describe, expect, it } from 'vitest';
import { Generator } from '../../../../src/core/rng.js';
import { IntersectionLayout } from '../../../../src/rl/envs/traffic/intersection.js';
import { MERGE_END, MergeLayout } from '../../../../src/rl/envs/traffic/merge.js';
import { TrafficWorld } from '../../../../src/rl/envs/traffic/world.js';

const intersectionConfig = {
  spawnProbability: 0.05,
  initialVehicles: 10,
  maxVehicles: 20,
  speedRange: [7, 10] as [number, number],
};
const mergeConfig = {
  lanes: 2,
  spawnProbability: 0.05,
  rampSpawnProbability: 0.03,
  maxVehicles: 30,
  speedRange: [20, 26] as [number, number],
  rampSpeedRange: [17, 22] as [number, number],
};

/** Runs a world without agents; returns ids seen, ids that left and the minimum spacing seen. */
function run(layout: IntersectionLayout | MergeLayout, seed: number, steps: number) {
  const world = new TrafficWorld(layout, new Generator(seed));
  layout.populate(world, world.rng);
  const seen = new Set<number>();
  let left = 0;
  for (let t = 0; t < steps; t++) {
    const before = new Set(world.vehicles.map((v) => v.id));
    before.forEach((id) => seen.add(id));
    world.step(0.1);
    const after = new Set(world.vehicles.map((v) => v.id));
    for (const id of before) if (!after.has(id)) left++;
    for (const v of world.vehicles) {
      expect(Number.isFinite(v.x) && Number.isFinite(v.y) && v.speed >= 0).toBe(true);
      expect(layout.onRoad(v)).toBe(true);
    }
  }
  return { world, seen: seen.size, left };
}

describe('background traffic (IDM) without agents', () => {
  for (const seed of [0, 1, 2]) {
    it(`has no collisions at the intersection over 1000 steps (seed ${seed})`, () => {
      const { world, left } = run(new IntersectionLayout(intersectionConfig), seed, 1000);
      expect(world.backgroundCollisions).toBe(0);
      expect(left).toBeGreaterThan(10); // traffic flows through, it does not lock up
    });

    it(`has no collisions on the highway merge over 1000 steps (seed ${seed})`, () => {
      const layout = new MergeLayout(mergeConfig);
      const { world, left } = run(layout, seed, 1000);
      expect(world.backgroundCollisions).toBe(0);
      expect(left).toBeGreaterThan(10);
    });
  }

  it('lets ramp vehicles merge instead of queueing forever', () => {
    const layout = new MergeLayout(mergeConfig);
    const world = new TrafficWorld(layout, new Generator(5));
    layout.populate(world, world.rng);
    let merged = 0;
    for (let t = 0; t < 2000; t++) {
      const onRamp = world.vehicles.filter((v) => v.laneIndex === layout.rampIndex);
      world.step(0.1);
      merged += onRamp.filter((v) => v.laneIndex !== layout.rampIndex).length;
    }
    expect(merged).toBeGreaterThan(10);
    for (const v of world.vehicles) {
      if (v.laneIndex === layout.rampIndex) expect(v.x).toBeLessThan(MERGE_END);
    }
  });

  it('keeps drivers at the intersection waiting a bounded time (first come, first served)', () => {
    const layout = new IntersectionLayout(intersectionConfig);
    const world = new TrafficWorld(layout, new Generator(9));
    layout.populate(world, world.rng);
    const stopped = new Map<number, number>();
    let longest = 0;
    for (let t = 0; t < 3000; t++) {
      world.step(0.1);
      for (const v of world.vehicles) {
        const k = v.speed < 0.1 ? (stopped.get(v.id) ?? 0) + 1 : 0;
        stopped.set(v.id, k);
        longest = Math.max(longest, k);
      }
    }
    expect(world.backgroundCollisions).toBe(0);
    expect(longest).toBeLessThan(400); // 40 s
  });
});

describe('intersection routes', () => {
  const layout = new IntersectionLayout(intersectionConfig);

  it('builds 12 routes that start 60 m before the box and end 60 m after it', () => {
    expect(layout.routes.length).toBe(12);
    for (const r of layout.routes) {
      expect(r.boxEntryS).toBeCloseTo(60, 9);
      expect(r.path.length - r.boxExitS).toBeCloseTo(60, 9);
    }
    const p = layout.route(0, 'left').path.position(1e9, 0, new Float64Array(2));
    expect(p[0]).toBeLessThan(-60); // south arm, left turn: leaves to the west
  });

  it('marks crossing and merging routes as conflicting, parallel ones not', () => {
    const c = (a: number, ta: 'left' | 'straight' | 'right', b: number, tb: typeof ta) =>
      layout.conflicts[layout.route(a, ta).index][layout.route(b, tb).index];
    expect(c(0, 'straight', 2, 'straight')).toBe(false); // opposite straights
    expect(c(0, 'straight', 1, 'straight')).toBe(true); // crossing
    expect(c(0, 'right', 2, 'right')).toBe(false); // opposite right turns
    expect(c(0, 'right', 3, 'straight')).toBe(true); // both end eastbound
    expect(c(0, 'left', 2, 'straight')).toBe(true); // left turn across oncoming traffic
    expect(c(0, 'left', 0, 'right')).toBe(false); // same arm: car following instead
    for (let i = 0; i < 12; i++) {
      for (let j = 0; j < 12; j++) expect(layout.conflicts[i][j]).toBe(layout.conflicts[j][i]);
    }
  });
});
