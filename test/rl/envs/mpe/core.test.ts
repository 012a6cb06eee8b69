import { describe, expect, it } from 'vitest';
import {
  Agent,
  Landmark,
  World,
  actionDim,
  isCollision,
  setAction,
  softplus,
} from '../../../../src/rl/envs/mpe/core.js';

function twoAgents(dx: number): World {
  const world = new World(2);
  for (let i = 0; i < 2; i++) {
    const a = new Agent(`agent_${i}`, 2);
    a.size = 0.15;
    a.silent = true;
    world.agents.push(a);
  }
  world.agents[1].pos[0] = dx;
  world.rebuild();
  return world;
}

describe('MPE core', () => {
  it('softplus matches log(1 + e^x) and stays finite far out', () => {
    for (const x of [-50, -3, -0.5, 0, 0.5, 3, 20]) {
      expect(softplus(x)).toBeCloseTo(Math.log(1 + Math.exp(x)), 12);
    }
    expect(softplus(1e4)).toBe(1e4);
    expect(softplus(-1e4)).toBe(0);
  });

  it('integrates damping, force and dt as PettingZoo (semi-implicit Euler)', () => {
    const world = twoAgents(5);
    const a = world.agents[0];
    a.vel[0] = 1;
    a.actionU[0] = 2; // force 2, mass 1
    world.step();
    // v = 1 * 0.75 + 2 * 0.1 = 0.95; p = 0 + 0.95 * 0.1
    expect(a.vel[0]).toBeCloseTo(0.95, 15);
    expect(a.pos[0]).toBeCloseTo(0.095, 15);
  });

  it('clips speed to maxSpeed, keeping the direction', () => {
    const world = twoAgents(5);
    const a = world.agents[0];
    a.maxSpeed = 0.1;
    a.actionU[0] = 30;
    a.actionU[1] = 40;
    world.step();
    expect(Math.hypot(a.vel[0], a.vel[1])).toBeCloseTo(0.1, 12);
    expect(a.vel[1] / a.vel[0]).toBeCloseTo(4 / 3, 12);
  });

  it('pushes overlapping discs apart with equal and opposite soft contact forces', () => {
    const world = twoAgents(0.2); // overlap 0.1
    world.step();
    const [a, b] = world.agents;
    expect(a.vel[0]).toBeLessThan(0);
    expect(b.vel[0]).toBeGreaterThan(0);
    expect(a.vel[0]).toBeCloseTo(-b.vel[0], 12);
    // penetration ~ 0.1 so force ~ 100 * 0.1 = 10 and v = 10 * 0.1 = 1
    expect(b.vel[0]).toBeCloseTo(1, 3);
  });

  it('exerts a negligible force between separated discs and none on static ones', () => {
    const world = twoAgents(1);
    world.step();
    expect(Math.abs(world.agents[0].vel[0])).toBeLessThan(1e-100);
    const lm = new Landmark('lm');
    lm.pos[0] = 0.1;
    world.landmarks.push(lm);
    world.rebuild();
    world.agents[1].pos[0] = 5;
    world.step();
    expect(lm.pos[0]).toBe(0.1);
    expect(world.agents[0].vel[0]).toBeLessThan(-0.5); // pushed away from the landmark
  });

  it('does not produce NaN for coincident entities', () => {
    const world = twoAgents(0);
    world.step();
    expect(Number.isFinite(world.agents[0].pos[0])).toBe(true);
  });

  it('maps discrete moves to forces scaled by accel (default 5)', () => {
    const a = new Agent('a', 2);
    a.silent = true;
    const cases: [number, number, number][] = [
      [0, 0, 0],
      [1, -5, 0],
      [2, 5, 0],
      [3, 0, -5],
      [4, 0, 5],
    ];
    for (const [act, ux, uy] of cases) {
      setAction(a, act, false);
      expect([a.actionU[0], a.actionU[1]]).toEqual([ux, uy]);
    }
    a.accel = 3;
    setAction(a, 4, false);
    expect(a.actionU[1]).toBe(3);
  });

  it('maps continuous moves with right - left and up - down, clipped to [0, 1]', () => {
    const a = new Agent('a', 2);
    a.silent = true;
    setAction(a, [0, 0.25, 1, 0.5, 0], true);
    expect(a.actionU[0]).toBeCloseTo(5 * 0.75, 12);
    expect(a.actionU[1]).toBeCloseTo(-2.5, 12);
    setAction(a, [0, -3, 7, 0, 0], true);
    expect(a.actionU[0]).toBe(5);
  });

  it('sets one-hot words for speaking agents and raw vectors when continuous', () => {
    const speaker = new Agent('s', 3);
    speaker.movable = false;
    setAction(speaker, 2, false);
    expect(Array.from(speaker.actionC)).toEqual([0, 0, 1]);
    setAction(speaker, [0.2, 0.5, 0.9], true);
    expect(Array.from(speaker.actionC)).toEqual([0.2, 0.5, 0.9]);
    const mover = new Agent('m', 2);
    setAction(mover, 2 + 5 * 1, false); // move +x, word 1
    expect(mover.actionU[0]).toBe(5);
    expect(Array.from(mover.actionC)).toEqual([0, 1]);
  });

  it('communicates through the state c unless silent', () => {
    const world = new World(3);
    const speaker = new Agent('s', 3);
    speaker.movable = false;
    world.agents.push(speaker);
    world.rebuild();
    setAction(speaker, 1, false);
    world.step();
    expect(Array.from(speaker.c)).toEqual([0, 1, 0]);
    speaker.silent = true;
    world.step();
    expect(Array.from(speaker.c)).toEqual([0, 0, 0]);
  });

  it('sizes action spaces as PettingZoo', () => {
    const a = new Agent('a', 2);
    a.silent = true;
    expect(actionDim(a, 2, false)).toBe(5);
    expect(actionDim(a, 2, true)).toBe(5);
    a.silent = false;
    expect(actionDim(a, 2, false)).toBe(10);
    expect(actionDim(a, 2, true)).toBe(7);
    a.movable = false;
    expect(actionDim(a, 3, false)).toBe(3);
    expect(actionDim(a, 3, true)).toBe(3);
  });

  it('detects strict overlap', () => {
    const world = twoAgents(0.3);
    expect(isCollision(world.agents[0], world.agents[1])).toBe(false);
    world.agents[1].pos[0] = 0.2999;
    expect(isCollision(world.agents[0], world.agents[1])).toBe(true);
  });
});
