import { describe, expect, it } from 'vitest';
import { Generator } from '../../../../src/core/rng.js';
import {
  Path,
  rectsOverlap,
  wrapToPi,
  type OrientedRect,
} from '../../../../src/rl/envs/traffic/geometry.js';

const out = new Float64Array(2);

describe('Path', () => {
  it('follows straight segments and projects points onto them', () => {
    const p = new Path(0, 0, 0).straight(10).lineTo(10, 10);
    expect(p.length).toBeCloseTo(20, 12);
    expect(Array.from(p.position(5, 1, out))).toEqual([5, 1]);
    expect(p.heading(15)).toBeCloseTo(Math.PI / 2, 12);
    const c = p.project(11, 5);
    expect(c.s).toBeCloseTo(15, 12);
    expect(c.lateral).toBeCloseTo(-1, 12); // right of a northbound segment
  });

  it('turns left and right on arcs with consistent heading, position and projection', () => {
    for (const sweep of [Math.PI / 2, -Math.PI / 2]) {
      const p = new Path(0, 0, 0).straight(5).arc(6, sweep).straight(5);
      const end = p.position(p.length, 0, new Float64Array(2));
      const dir = Math.sign(sweep);
      expect(end[0]).toBeCloseTo(11, 9);
      expect(end[1]).toBeCloseTo(dir * 11, 9);
      expect(p.heading(p.length)).toBeCloseTo(sweep, 12);
      const rng = new Generator(3);
      for (let i = 0; i < 50; i++) {
        const s = rng.uniformRange(0, p.length);
        const lat = rng.uniformRange(-1.5, 1.5);
        const q = p.position(s, lat, new Float64Array(2));
        const c = p.project(q[0], q[1]);
        expect(c.s).toBeCloseTo(s, 9);
        expect(c.lateral).toBeCloseTo(lat, 9);
      }
    }
  });

  it('extrapolates before the start and past the end', () => {
    const p = new Path(0, 0, 0).straight(10);
    expect(p.project(-3, 0).s).toBeCloseTo(-3, 12);
    expect(p.project(14, 2).s).toBeCloseTo(14, 12);
  });

  it('wraps angles to [-pi, pi)', () => {
    expect(wrapToPi(3 * Math.PI)).toBeCloseTo(-Math.PI, 12);
    expect(wrapToPi(0.5 + 4 * Math.PI)).toBeCloseTo(0.5, 12);
    expect(wrapToPi(-Math.PI / 2 - 2 * Math.PI)).toBeCloseTo(-Math.PI / 2, 12);
  });
});

function rect(x: number, y: number, heading: number, length = 5, width = 2): OrientedRect {
  return { x, y, heading, length, width };
}

/** Brute force: does any point of a fine grid over `a` lie inside `b`? */
function bruteOverlap(a: OrientedRect, b: OrientedRect): boolean {
  const inside = (r: OrientedRect, x: number, y: number) => {
    const dx = x - r.x;
    const dy = y - r.y;
    const u = dx * Math.cos(r.heading) + dy * Math.sin(r.heading);
    const v = -dx * Math.sin(r.heading) + dy * Math.cos(r.heading);
    return Math.abs(u) < r.length / 2 && Math.abs(v) < r.width / 2;
  };
  const n = 40;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const u = (i / n - 0.5) * a.length;
      const v = (j / n - 0.5) * a.width;
      const x = a.x + u * Math.cos(a.heading) - v * Math.sin(a.heading);
      const y = a.y + u * Math.sin(a.heading) + v * Math.cos(a.heading);
      if (inside(b, x, y)) return true;
    }
  }
  return false;
}

describe('rectsOverlap (separating axis theorem)', () => {
  it('handles the obvious cases', () => {
    expect(rectsOverlap(rect(0, 0, 0), rect(4.9, 0, 0))).toBe(true);
    expect(rectsOverlap(rect(0, 0, 0), rect(5.1, 0, 0))).toBe(false);
    expect(rectsOverlap(rect(0, 0, 0), rect(0, 2.1, 0))).toBe(false);
    expect(rectsOverlap(rect(0, 0, 0), rect(0, 1.9, Math.PI))).toBe(true);
    // a T-bone: b's nose touches a's flank
    expect(rectsOverlap(rect(0, 0, 0), rect(0, 3.4, Math.PI / 2))).toBe(true);
    expect(rectsOverlap(rect(0, 0, 0), rect(0, 3.6, Math.PI / 2))).toBe(false);
  });

  it('finds the gap that circle tests miss: diagonal neighbours', () => {
    // Circumscribed circles overlap, yet the rectangles are separated along a's y axis.
    const a = rect(0, 0, 0);
    const b = rect(3, 2.2, 0.3);
    expect(rectsOverlap(a, b)).toBe(bruteOverlap(a, b) || bruteOverlap(b, a));
  });

  it('agrees with a brute-force point test on random pairs', () => {
    const rng = new Generator(11);
    let hits = 0;
    for (let i = 0; i < 400; i++) {
      const a = rect(0, 0, rng.uniformRange(-Math.PI, Math.PI));
      const b = rect(
        rng.uniformRange(-6, 6),
        rng.uniformRange(-6, 6),
        rng.uniformRange(-Math.PI, Math.PI),
      );
      const sat = rectsOverlap(a, b);
      const brute = bruteOverlap(a, b) || bruteOverlap(b, a);
      // The grid can miss slivers thinner than its spacing; only demand agreement when clear-cut.
      if (sat !== brute) {
        const shrunk = { ...b, length: b.length - 0.3, width: b.width - 0.3 };
        const grown = { ...b, length: b.length + 0.3, width: b.width + 0.3 };
        expect(sat ? rectsOverlap(a, grown) : !rectsOverlap(a, shrunk)).toBe(true);
      } else {
        expect(sat).toBe(brute);
      }
      if (sat) hits++;
    }
    expect(hits).toBeGreaterThan(40);
  });
});
