import { describe, expect, it } from 'vitest';
import { Generator } from '../../../src/core/index.js';
import { ReplayBuffer } from '../../../src/rl/algos/buffers/index.js';

/** Transition i: obs [i, -i], next [i + 0.5, -i], action i % 3, reward 10 i, terminated i % 4 == 3. */
function fill(rb: ReplayBuffer, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    rb.add([i, -i], [i + 0.5, -i], i % 3, 10 * i, i % 4 === 3);
  }
}

describe('ReplayBuffer', () => {
  it('stores transitions and wraps around, overwriting the oldest', () => {
    const rb = new ReplayBuffer({ capacity: 5, obsDim: 2, actionType: 'discrete', batchSize: 4 });
    fill(rb, 0, 3);
    expect(rb.size).toBe(3);
    expect(rb.full).toBe(false);
    fill(rb, 3, 7);
    expect(rb.size).toBe(5);
    expect(rb.full).toBe(true);
    expect(rb.pos).toBe(2);
    // Rows 0, 1 hold transitions 5, 6; rows 2..4 still hold 2..4.
    expect(Array.from(rb.rewards)).toEqual([50, 60, 20, 30, 40]);
    expect(Array.from(rb.observations.subarray(0, 4))).toEqual([5, -5, 6, -6]);
    expect(Array.from(rb.actions)).toEqual([2, 0, 2, 0, 1]);
    expect(Array.from(rb.terminations)).toEqual([0, 0, 0, 1, 0]);
  });

  it('samples consistent rows, deterministically per seed, into reused tensors', () => {
    const rb = new ReplayBuffer({ capacity: 8, obsDim: 2, actionType: 'discrete', batchSize: 16 });
    fill(rb, 0, 13);
    const a = rb.sample(new Generator(1));
    const obsTensor = a.observations;
    const first = {
      idx: Array.from(a.indices),
      obs: Array.from(a.observations.data),
      rew: Array.from(a.rewards.data),
    };
    for (let k = 0; k < 16; k++) {
      const i = a.observations.data[2 * k];
      expect(a.observations.data[2 * k + 1]).toBe(-i);
      expect(a.nextObservations.data[2 * k]).toBe(i + 0.5);
      expect(a.actions.data[k]).toBe(i % 3);
      expect(a.rewards.data[k]).toBe(10 * i);
      expect(a.terminations.data[k]).toBe(i % 4 === 3 ? 1 : 0);
      expect(i).toBeGreaterThanOrEqual(5); // transitions 0..4 were overwritten
    }
    const b = rb.sample(new Generator(1));
    expect(b.observations).toBe(obsTensor); // no allocation per sample
    expect(Array.from(b.indices)).toEqual(first.idx);
    expect(Array.from(b.observations.data)).toEqual(first.obs);
    expect(Array.from(b.rewards.data)).toEqual(first.rew);
    expect(b.actions.dtype).toBe('int32');
    expect(b.actions.shape).toEqual([16]);
  });

  it('samples only filled rows before the buffer is full, and every row eventually', () => {
    const rb = new ReplayBuffer({
      capacity: 100,
      obsDim: 2,
      actionType: 'discrete',
      batchSize: 32,
    });
    fill(rb, 0, 5);
    const rng = new Generator(2);
    const seen = new Set<number>();
    for (let s = 0; s < 20; s++) for (const i of rb.sample(rng).indices) seen.add(i);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('holds continuous actions', () => {
    const rb = new ReplayBuffer({
      capacity: 4,
      obsDim: 1,
      actionType: 'continuous',
      actionDim: 2,
      batchSize: 3,
    });
    rb.add([1], [2], [0.5, -0.5], 1, false);
    const b = rb.sample(new Generator(0));
    expect(b.actions.shape).toEqual([3, 2]);
    expect(Array.from(b.actions.data)).toEqual([0.5, -0.5, 0.5, -0.5, 0.5, -0.5]);
  });

  it('rejects bad arguments', () => {
    expect(
      () => new ReplayBuffer({ capacity: 0, obsDim: 2, actionType: 'discrete', batchSize: 4 }),
    ).toThrow(/capacity/);
    const rb = new ReplayBuffer({ capacity: 4, obsDim: 2, actionType: 'discrete', batchSize: 4 });
    expect(() => rb.sample(new Generator(0))).toThrow(/empty/);
    expect(() => rb.add([1], [1, 2], 0, 0, false)).toThrow(/2 values/);
    expect(() => rb.add([1, 2], [1, 2], 0.5, 0, false)).toThrow(/integer/);
  });
});
