import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/core/rng.js';
import { ValueError } from '../../src/core/errors.js';
import {
  Box,
  Dict,
  Discrete,
  flatdim,
  flatten,
  flattenSpace,
  MultiBinary,
  MultiDiscrete,
  spaceFromJSON,
  Tuple,
  unflatten,
  type Space,
} from '../../src/rl/index.js';

const rng = (): Generator => new Generator(3);

describe('Box', () => {
  it('broadcasts scalar bounds, rounds them to float32 and infers shape from arrays', () => {
    const b = new Box(-1, 1, [2, 3]);
    expect(b.shape).toEqual([2, 3]);
    expect(b.size).toBe(6);
    expect(new Box([0, 0.1], 1).shape).toEqual([2]);
    expect(new Box([0, 0.1], 1).low[1]).toBe(Math.fround(0.1));
    expect(() => new Box(0, 1)).toThrow(ValueError);
    expect(() => new Box([1, 0], [0, 1])).toThrow(/low\[0\] = 1 must be <= high\[0\]/);
    expect(() => new Box([0, 0], [1, 1, 1])).toThrow(/high has 3 values/);
    expect(() => new Box(Number.NaN, 1, [1])).toThrow(ValueError);
  });

  it('samples uniform in bounded dims, low + Exp / high - Exp / normal otherwise', () => {
    const b = new Box([-2, 0, -Infinity, -Infinity], [3, Infinity, 5, Infinity]);
    const g = rng();
    const n = 20000;
    const sums = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const x = b.sample(g);
      expect(x).toBeInstanceOf(Float32Array);
      expect(b.contains(x)).toBe(true);
      x.forEach((v, k) => (sums[k] += v));
    }
    expect(sums[0] / n).toBeCloseTo(0.5, 1); // uniform(-2, 3)
    expect(sums[1] / n).toBeCloseTo(1, 1); // 0 + Exp(1)
    expect(sums[2] / n).toBeCloseTo(4, 1); // 5 - Exp(1)
    expect(Math.abs(sums[3] / n)).toBeLessThan(0.05); // N(0, 1)
  });

  it('is reproducible from a seeded generator and rejects masks', () => {
    const b = new Box(-1, 1, [5]);
    expect(b.sample(rng())).toEqual(b.sample(rng()));
    expect(() => b.sample(rng(), [1] as never)).toThrow(/masks are not supported/);
  });

  it('contains checks length, bounds and NaN', () => {
    const b = new Box(0, 1, [2]);
    expect(b.contains(Float32Array.of(0, 1))).toBe(true);
    expect(b.contains([0.5, 0.5])).toBe(true);
    expect(b.contains([0.5])).toBe(false);
    expect(b.contains([0.5, 1.5])).toBe(false);
    expect(b.contains([0.5, Number.NaN])).toBe(false);
    expect(b.contains('ab')).toBe(false);
    expect(b.contains(null)).toBe(false);
  });

  it('round-trips infinite bounds through JSON', () => {
    const b = new Box([-Infinity, 0], [Infinity, 1]);
    const json = JSON.parse(JSON.stringify(b.toJSON()));
    expect(json.low).toEqual(['-inf', 0]);
    const back = spaceFromJSON(json) as Box;
    expect(back.equals(b)).toBe(true);
    expect(back.isBounded()).toBe(false);
    expect(new Box(0, 1, [3]).isBounded()).toBe(true);
  });
});

describe('Discrete', () => {
  it('samples in [start, start + n) and honours masks', () => {
    const d = new Discrete(4, 10);
    const g = rng();
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) seen.add(d.sample(g));
    expect([...seen].sort()).toEqual([10, 11, 12, 13]);
    for (let i = 0; i < 100; i++) expect([11, 13]).toContain(d.sample(g, [0, 1, 0, 1]));
    // Gymnasium returns start when the mask allows nothing.
    expect(d.sample(g, [0, 0, 0, 0])).toBe(10);
    expect(() => d.sample(g, [1, 0])).toThrow(/mask has length 2, expected 4/);
    expect(() => d.sample(g, [1, 0, 2, 0])).toThrow(/mask\[2\] = 2/);
  });

  it('contains only integers in range', () => {
    const d = new Discrete(3);
    expect([0, 1, 2].every((x) => d.contains(x))).toBe(true);
    expect([-1, 3, 0.5, Number.NaN, '1', null].some((x) => d.contains(x))).toBe(false);
    expect(() => new Discrete(0)).toThrow(ValueError);
    expect(() => new Discrete(2.5)).toThrow(ValueError);
  });
});

describe('MultiDiscrete and MultiBinary', () => {
  it('MultiDiscrete samples per component, with optional per-component masks', () => {
    const m = new MultiDiscrete([2, 3, 4], [0, 1, -2]);
    const g = rng();
    for (let i = 0; i < 200; i++) expect(m.contains(m.sample(g))).toBe(true);
    for (let i = 0; i < 50; i++) {
      const x = m.sample(g, [null, [0, 0, 1], [1, 0, 0, 0]]);
      expect(x[1]).toBe(3);
      expect(x[2]).toBe(-2);
    }
    expect(m.contains([1, 3, 1])).toBe(true);
    expect(m.contains([1, 0, 1])).toBe(false);
    expect(m.contains([1, 1])).toBe(false);
    expect(() => new MultiDiscrete([2, 0])).toThrow(/nvec\[1\] = 0/);
  });

  it('MultiBinary masks: 0 and 1 force the bit, 2 leaves it random', () => {
    const m = new MultiBinary(4);
    const g = rng();
    let ones = 0;
    for (let i = 0; i < 500; i++) {
      const x = m.sample(g, [0, 1, 2, 2]);
      expect(x[0]).toBe(0);
      expect(x[1]).toBe(1);
      ones += x[2];
    }
    expect(ones).toBeGreaterThan(150);
    expect(ones).toBeLessThan(350);
    expect(m.contains([0, 1, 1, 0])).toBe(true);
    expect(m.contains([0, 1, 2, 0])).toBe(false);
    expect(new MultiBinary([2, 3]).size).toBe(6);
  });
});

describe('Dict and Tuple', () => {
  it('Dict sorts keys, samples every sub-space and checks keys exactly', () => {
    const d = new Dict({ z: new Discrete(2), a: new Box(0, 1, [2]) });
    expect(d.keys).toEqual(['a', 'z']);
    const x = d.sample(rng());
    expect(Object.keys(x)).toEqual(['a', 'z']);
    expect(d.contains(x)).toBe(true);
    expect(d.contains({ ...x, extra: 1 })).toBe(false);
    expect(d.contains({ a: x.a })).toBe(false);
    expect(d.sample(rng(), { z: [0, 1] }).z).toBe(1);
  });

  it('Dict refuses prototype-polluting keys', () => {
    const spaces = JSON.parse('{"__proto__": 1}') as Record<string, Space<unknown>>;
    expect(() => new Dict(spaces)).toThrow(/'__proto__' is not allowed/);
    expect(() => new Dict({ constructor: new Discrete(2) })).toThrow(/not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('Tuple samples and contains element-wise', () => {
    const t = new Tuple([new Discrete(3), new MultiBinary(2)] as const);
    const x = t.sample(rng());
    expect(t.contains(x)).toBe(true);
    expect(t.contains([x[0]])).toBe(false);
    expect(t.sample(rng(), [[0, 0, 1], null])[0]).toBe(2);
  });
});

describe('flatten', () => {
  const nested = new Dict({
    pos: new Box(-1, 1, [2]),
    choice: new Discrete(3, 1),
    multi: new MultiDiscrete([2, 3]),
    bits: new MultiBinary(2),
    pair: new Tuple([new Discrete(2), new Box(0, 5, [1])]),
  });

  it('one-hot encodes Discrete and MultiDiscrete as Gymnasium does', () => {
    expect(flatten(new Discrete(4, 1), 3)).toEqual(Float32Array.of(0, 0, 1, 0));
    expect(flatten(new MultiDiscrete([2, 3]), [1, 2])).toEqual(Float32Array.of(0, 1, 0, 0, 1));
    expect(flatdim(nested)).toBe(3 + 2 + 2 + 5 + 3);
    expect(() => flatten(new Discrete(2), 5)).toThrow(/not in/);
  });

  it('round-trips through unflatten and lands inside flattenSpace', () => {
    const g = rng();
    const box = flattenSpace(nested);
    for (let i = 0; i < 50; i++) {
      const x = nested.sample(g);
      const f = flatten(nested, x);
      expect(f.length).toBe(flatdim(nested));
      expect(box.contains(f)).toBe(true);
      const back = unflatten(nested, f);
      expect(flatten(nested, back)).toEqual(f);
      expect(back.choice).toBe(x.choice);
    }
  });

  it('every space survives a JSON round trip', () => {
    const back = spaceFromJSON(JSON.parse(JSON.stringify(nested.toJSON())));
    expect(back.equals(nested)).toBe(true);
    expect(() => spaceFromJSON({ type: 'Nope' } as never)).toThrow(/unknown space type/);
  });
});
