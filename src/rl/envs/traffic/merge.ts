/**
 * A straight highway with an on-ramp merge.
 *
 * Geometry (metres, x forward, y to the left): `lanes` main lanes (default 2) run from x = 0 to
 * x = 400 with centres y = 0, -4, -8, ... (lane 0 is the leftmost). The on-ramp starts at
 * (60, yRamp - 16), where yRamp = -4 * lanes, rises to the acceleration lane at x = 160 and the
 * acceleration lane ends at x = 240. Ramp vehicles must move left into the rightmost main lane
 * between x = 160 and x = 240; the end of the acceleration lane is a wall.
 *
 * Background traffic: IDM along its lane; main-lane vehicles keep their lane, ramp vehicles
 * merge as soon as MOBIL's safety criterion holds (the new follower would brake no harder than
 * 2 m/s^2 and both gaps exceed a car length plus 2 m), and treat the end of the acceleration lane
 * as a stopped obstacle until then. So that a queue on the ramp cannot wait forever, the
 * nearest background vehicle at least 15 m behind a ramp vehicle that is within 40 m of the lane
 * end yields: it follows that ramp vehicle as if it were already in its lane, opening a gap.
 */
import type { Generator } from '../../../core/rng.js';
import { Path } from './geometry.js';
import { VEHICLE_LENGTH, idmAcceleration, type Vehicle } from './vehicle.js';
import type { RoadLayout, TrafficWorld, VirtualObstacle } from './world.js';

export const MERGE_LANE_WIDTH = 4;
export const ROAD_END = 400;
export const RAMP_START_X = 60;
export const MERGE_START = 160;
export const MERGE_END = 240;
const RAMP_RISE = 16;
/** MOBIL's LANE_CHANGE_MAX_BRAKING_IMPOSED (m/s^2). */
const MAX_BRAKING_IMPOSED = 2.0;
const MIN_GAP = VEHICLE_LENGTH + 2;
/** Distance before the end of the acceleration lane within which a ramp vehicle is let in. */
const YIELD_ZONE = 40;
/** A main-lane vehicle closer than this behind a waiting ramp vehicle passes instead of yielding. */
const YIELD_MIN_DISTANCE = 15;

export interface MergeConfig {
  lanes: number;
  /** Probability per step that a vehicle enters each main lane (if the entry is clear). */
  spawnProbability: number;
  /** Probability per step that a vehicle enters the ramp (if the entry is clear). */
  rampSpawnProbability: number;
  maxVehicles: number;
  /** Cruise speed range of main-lane and ramp background vehicles (m/s). */
  speedRange: [number, number];
  rampSpeedRange: [number, number];
}

export class MergeLayout implements RoadLayout {
  readonly referenceSpeed = 25;
  /** Main lanes 0..lanes-1, then the ramp (index `lanes`). */
  readonly lanePaths: Path[] = [];
  readonly rampIndex: number;
  readonly rampY: number;
  /** Main-lane background vehicles yielding to a waiting ramp vehicle, for this step. */
  private readonly yieldTo = new Map<Vehicle, Vehicle>();

  constructor(readonly config: MergeConfig) {
    for (let i = 0; i < config.lanes; i++) {
      this.lanePaths.push(new Path(0, -i * MERGE_LANE_WIDTH, 0).straight(ROAD_END));
    }
    this.rampIndex = config.lanes;
    this.rampY = -config.lanes * MERGE_LANE_WIDTH;
    this.lanePaths.push(
      new Path(RAMP_START_X, this.rampY - RAMP_RISE, 0)
        .lineTo(MERGE_START, this.rampY)
        .lineTo(MERGE_END, this.rampY),
    );
  }

  get ramp(): Path {
    return this.lanePaths[this.rampIndex];
  }

  /** Put a vehicle on lane `lane` at arc length s along that lane. */
  addVehicle(
    world: TrafficWorld,
    lane: number,
    s: number,
    speed: number,
    controlled: boolean,
  ): Vehicle {
    const v = world.addVehicle(this.lanePaths[lane], s, speed, controlled);
    v.laneIndex = lane;
    v.targetLaneIndex = lane;
    return v;
  }

  clear(): void {
    this.yieldTo.clear();
  }

  /** Whether lane `to` is reachable from the vehicle's lane at its position. */
  private canChange(v: Vehicle, to: number): boolean {
    const from = v.laneIndex;
    if (to < 0 || to >= this.config.lanes + (from === this.rampIndex ? 1 : 0)) return false;
    if (from === this.rampIndex) return to === this.config.lanes - 1 && v.x >= MERGE_START;
    return to !== this.rampIndex;
  }

  /** Retarget a vehicle to the lane on its left (dir -1) or right (+1); false if none. */
  changeLane(v: Vehicle, dir: -1 | 1): boolean {
    const to =
      v.laneIndex === this.rampIndex
        ? dir === -1
          ? this.config.lanes - 1
          : -1
        : v.laneIndex + dir;
    if (!this.canChange(v, to)) return false;
    v.laneIndex = to;
    v.targetLaneIndex = to;
    v.path = this.lanePaths[to];
    v.updateCoords();
    return true;
  }

  beforeStep(world: TrafficWorld): void {
    const target = this.lanePaths[this.config.lanes - 1];
    for (const v of world.vehicles) {
      if (v.controlled || v.laneIndex !== this.rampIndex || v.x < MERGE_START) continue;
      if (this.safeToMerge(world, v, target)) this.changeLane(v, -1);
    }
    this.yieldTo.clear();
    for (const r of world.vehicles) {
      if (r.laneIndex !== this.rampIndex || r.x < MERGE_END - YIELD_ZONE) continue;
      // The nearest background vehicle far enough behind to stop yields; closer ones pass.
      let f: Vehicle | null = null;
      for (const u of world.vehicles) {
        if (u.controlled || u.path !== target) continue;
        if (r.x - u.x >= YIELD_MIN_DISTANCE && (f === null || u.x > f.x)) f = u;
      }
      if (f !== null) {
        const prev = this.yieldTo.get(f);
        if (!prev || prev.x > r.x) this.yieldTo.set(f, r);
      }
    }
  }

  /** MOBIL's safety criterion, plus minimum gaps on both sides. */
  private safeToMerge(world: TrafficWorld, v: Vehicle, target: Path): boolean {
    const lead = world.leader(v, target);
    if (lead) {
      if (lead.distance < MIN_GAP) return false;
      const self = idmAcceleration(v.speed, v.targetSpeed, lead.distance, lead.vehicle.speed);
      if (self < -MAX_BRAKING_IMPOSED) return false;
    }
    const follow = world.follower(v, target);
    if (follow) {
      if (follow.distance < MIN_GAP) return false;
      const f = follow.vehicle;
      const imposed = idmAcceleration(f.speed, f.targetSpeed, follow.distance, v.speed);
      if (imposed < -MAX_BRAKING_IMPOSED) return false;
    }
    return true;
  }

  obstacleAhead(_world: TrafficWorld, v: Vehicle): VirtualObstacle | null {
    if (v.laneIndex === this.rampIndex) return { s: this.ramp.length };
    const r = this.yieldTo.get(v);
    // Main lanes run along +x, so a lane's arc length is x.
    return r ? { s: r.x - VEHICLE_LENGTH / 2, speed: r.speed * Math.cos(r.heading) } : null;
  }

  /** On the road if the centre is within 3 m of a lane that exists at that point. */
  onRoad(v: Vehicle): boolean {
    if (v.x < -VEHICLE_LENGTH || v.x > ROAD_END + 50) return false;
    const lanes = this.config.lanes;
    if (v.y <= 1 + MERGE_LANE_WIDTH / 2 && v.y >= -(lanes - 1) * MERGE_LANE_WIDTH - 3) return true;
    const c = this.ramp.project(v.x, v.y);
    return c.s >= -VEHICLE_LENGTH && c.s <= this.ramp.length && Math.abs(c.lateral) <= 3;
  }

  finished(v: Vehicle): boolean {
    return v.x >= ROAD_END;
  }

  progress(v: Vehicle): number {
    return v.x;
  }

  arrived(v: Vehicle): boolean {
    return v.x >= ROAD_END - 20;
  }

  /** Ego features: progress along the road and lateral position (0 lane 0, -1 the ramp). */
  egoFeatures(v: Vehicle): [number, number] {
    return [v.x / ROAD_END, v.y / (this.config.lanes * MERGE_LANE_WIDTH)];
  }

  /** Background vehicles at reset: gaps of 35-60 m on every main lane, one or two on the ramp. */
  populate(world: TrafficWorld, rng: Generator): void {
    for (let lane = 0; lane < this.config.lanes; lane++) {
      for (let x = rng.uniformRange(5, 40); x < ROAD_END - 20; x += rng.uniformRange(35, 60)) {
        const speed = rng.uniformRange(...this.config.speedRange);
        if (!world.isClear(x, -lane * MERGE_LANE_WIDTH, 25)) continue;
        const v = this.addVehicle(world, lane, x, speed, false);
        v.targetSpeed = speed;
      }
    }
    for (let s = rng.uniformRange(0, 20); s < 80; s += rng.uniformRange(40, 70)) {
      const speed = rng.uniformRange(...this.config.rampSpeedRange);
      const p = this.ramp.position(s, 0, new Float64Array(2));
      if (!world.isClear(p[0], p[1], 25)) continue;
      const v = this.addVehicle(world, this.rampIndex, s, speed, false);
      v.targetSpeed = speed;
    }
  }

  spawn(world: TrafficWorld, rng: Generator): void {
    const background = () => world.vehicles.filter((v) => !v.controlled).length;
    for (let lane = 0; lane <= this.config.lanes; lane++) {
      const onRamp = lane === this.rampIndex;
      const u = rng.uniform();
      const cruise = rng.uniformRange(
        ...(onRamp ? this.config.rampSpeedRange : this.config.speedRange),
      );
      const p = onRamp ? this.config.rampSpawnProbability : this.config.spawnProbability;
      if (u >= p || background() >= this.config.maxVehicles) continue;
      const path = this.lanePaths[lane];
      const start = path.position(0, 0, new Float64Array(2));
      if (!world.isClear(start[0], start[1], 25)) continue;
      const v = this.addVehicle(world, lane, 0, cruise, false);
      v.targetSpeed = cruise;
      // Enter no faster than a slow leader allows stopping behind it.
      const lead = world.leader(v);
      if (lead) {
        const room = Math.max(lead.distance - VEHICLE_LENGTH - 5, 0);
        v.speed = Math.min(cruise, Math.max(lead.vehicle.speed, Math.sqrt(2 * 4 * room)));
      }
    }
  }
}
