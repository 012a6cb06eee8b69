import { describe, expect, it } from 'vitest';
import { ConfigError, Generator } from '../../../src/core/index.js';
import { familyMax, familySchema, sampleTask } from '../../../src/transfer/mamt/index.js';

describe('task families', () => {
  it('draws ranges, unions of ranges and choices, keeping the base options', () => {
    const family = familySchema.parse({
      vary: {
        length: [0.25, 1],
        forceMag: {
          ranges: [
            [-15, -5],
            [5, 15],
          ],
        },
        numAgents: { choices: [2, 3] },
        fixed: 7,
      },
    });
    const rng = new Generator(1);
    let negative = 0;
    for (let i = 0; i < 400; i++) {
      const o = sampleTask(family, { tau: 0.02 }, rng);
      expect(o.tau).toBe(0.02);
      expect(o.fixed).toBe(7);
      expect(o.length).toBeGreaterThanOrEqual(0.25);
      expect(o.length).toBeLessThan(1);
      const f = o.forceMag as number;
      expect(Math.abs(f)).toBeGreaterThanOrEqual(5);
      expect(Math.abs(f)).toBeLessThan(15);
      if (f < 0) negative += 1;
      expect([2, 3]).toContain(o.numAgents);
    }
    // Equal-width intervals: about half the draws in each.
    expect(negative).toBeGreaterThan(150);
    expect(negative).toBeLessThan(250);
  });

  it('never draws the held-out target or an excluded task', () => {
    const family = familySchema.parse({
      vary: { numAgents: { choices: [2, 3, 4] }, numLandmarks: { choices: [2, 3] } },
      exclude: [{ numAgents: 4, numLandmarks: 2 }],
    });
    const target = { numAgents: 3, numLandmarks: 3 };
    const rng = new Generator(0);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const o = sampleTask(family, target, rng, target);
      seen.add(`${o.numAgents}/${o.numLandmarks}`);
    }
    expect([...seen].sort()).toEqual(['2/2', '2/3', '3/2', '4/3']);
  });

  it('is deterministic per seed and says so when nothing is left to draw', () => {
    const family = familySchema.parse({ vary: { n: { choices: [3] } } });
    expect(() => sampleTask(family, {}, new Generator(0), { n: 3 })).toThrow(ConfigError);
    const f2 = familySchema.parse({ vary: { x: [0, 1] } });
    const a = sampleTask(f2, {}, new Generator(5));
    const b = sampleTask(f2, {}, new Generator(5));
    expect(a).toEqual(b);
  });

  it('rejects malformed families and finds the largest count', () => {
    expect(familySchema.safeParse({ vary: { x: [2, 1] } }).success).toBe(false);
    expect(familySchema.safeParse({ vary: {}, extra: 1 }).success).toBe(false);
    const f = familySchema.parse({ vary: { numAgents: { choices: [2, 4] } } });
    expect(familyMax(f, 'numAgents', { numAgents: 3 })).toBe(4);
    expect(familyMax(f, 'numAgents', { numAgents: 6 })).toBe(6);
  });
});
