import { describe, expect, it } from 'vitest';
import { Path } from '../../../../src/rl/envs/traffic/geometry.js';
import {
  IDM,
  MAX_SPEED,
  Vehicle,
  idmAcceleration,
  idmDesiredGap,
  steeringControl,
} from '../../../../src/rl/envs/traffic/vehicle.js';

const straight = () => new Path(0, 0, 0).straight(1000);

describe('kinematic bicycle', () => {
  it('drives straight without steering and integrates acceleration', () => {
    const v = new Vehicle(0, straight(), 0, 10, true);
    v.step(2, 0, 0.1);
    expect(v.x).toBeCloseTo(1, 12); // position uses the speed before the update
    expect(v.y).toBe(0);
    expect(v.speed).toBeCloseTo(10.2, 12);
  });

  it('turns at the rate v sin(beta) / (L/2) with beta = atan(tan(delta)/2)', () => {
    const v = new Vehicle(0, straight(), 0, 10, true);
    const delta = 0.2;
    v.step(0, delta, 0.1);
    const beta = Math.atan(0.5 * Math.tan(delta));
    expect(v.heading).toBeCloseTo(((10 * Math.sin(beta)) / 2.5) * 0.1, 12);
    expect(v.y).toBeCloseTo(10 * Math.sin(beta) * 0.1, 12);
  });

  it('keeps speed in [0, MAX_SPEED] and records the acceleration actually applied', () => {
    const v = new Vehicle(0, straight(), 0, 0.3, true);
    v.step(-5, 0, 0.1);
    expect(v.speed).toBe(0);
    expect(v.acceleration).toBeCloseTo(-3, 12);
    const w = new Vehicle(1, straight(), 0, MAX_SPEED - 0.1, true);
    w.step(5, 0, 0.1);
    expect(w.speed).toBeCloseTo(MAX_SPEED, 12);
  });

  it('lane-keeping steering brings a displaced vehicle back to its path', () => {
    const v = new Vehicle(0, straight(), 0, 15, false);
    v.y = 2;
    v.updateCoords();
    for (let t = 0; t < 60; t++) v.step(0, steeringControl(v, v.path), 0.1);
    expect(Math.abs(v.y)).toBeLessThan(0.1);
    expect(Math.abs(v.heading)).toBeLessThan(0.02);
  });

  it('follows a curved path', () => {
    const path = new Path(0, 0, 0)
      .straight(20)
      .arc(20, Math.PI / 2)
      .straight(50);
    const v = new Vehicle(0, path, 0, 8, false);
    let worst = 0;
    for (let t = 0; t < 100; t++) {
      v.step(0, steeringControl(v, v.path), 0.1);
      worst = Math.max(worst, Math.abs(v.coords.lateral));
    }
    expect(v.coords.s).toBeGreaterThan(60);
    expect(worst).toBeLessThan(0.5);
  });
});

describe('IDM', () => {
  it('accelerates towards the target speed on a free road and stops there', () => {
    expect(idmAcceleration(0, 20, Infinity, 0)).toBeCloseTo(IDM.COMFORT_ACC_MAX, 12);
    expect(idmAcceleration(20, 20, Infinity, 0)).toBeCloseTo(0, 12);
    expect(idmAcceleration(25, 20, Infinity, 0)).toBeLessThan(0);
  });

  it('uses the desired gap d* = d0 + vT + v dv / (2 sqrt(ab))', () => {
    expect(idmDesiredGap(0, 0)).toBe(IDM.DISTANCE_WANTED);
    expect(idmDesiredGap(10, 2)).toBeCloseTo(10 + 15 + 20 / (2 * Math.sqrt(15)), 12);
    // at exactly d = d* with v = v0 the interaction term cancels the free-road term's 1
    expect(idmAcceleration(10, 10, idmDesiredGap(10, 0), 10)).toBeCloseTo(-3, 12);
    expect(idmAcceleration(10, 20, 5, 0)).toBe(-IDM.ACC_MAX);
  });

  it('brings a follower to rest behind a stopped car without touching it', () => {
    const follower = new Vehicle(0, straight(), 0, 20, false);
    const obstacle = 150;
    for (let t = 0; t < 400; t++) {
      const a = idmAcceleration(follower.speed, 20, obstacle - follower.x, 0);
      follower.step(a, 0, 0.1);
    }
    expect(follower.speed).toBeLessThan(0.05);
    expect(obstacle - follower.x).toBeGreaterThan(IDM.DISTANCE_WANTED * 0.9);
  });
});
