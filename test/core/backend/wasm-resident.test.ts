import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GemmArgs } from '../../../src/core/backend/backend.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { BackendError, ValueError } from '../../../src/core/errors.js';
import { Generator } from '../../../src/core/rng.js';

/**
 * Operands that live in the backend's own memory (its arena) are used in place: every kernel
 * must give the same bits as with ordinary arrays (copied in and out), whichever operands are
 * resident, including an output that is also an input.
 */
let be: WasmBackend;
let rng: Generator;

beforeAll(async () => {
  be = await createWasmBackend({ threads: 1 });
});
afterAll(() => be.dispose());

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformRange(-2, 2);
  return a;
}

/** A copy of a in the arena (or a plain copy when `resident` is false). */
function place(a: Float32Array, resident: boolean): Float32Array {
  const out = resident ? be.arena!.array(a.length, false)! : new Float32Array(a.length);
  out.set(a);
  return out;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const COMBOS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

describe('wasm backend: resident operands', () => {
  it('hands out arena arrays in its own memory, and says when it is full', () => {
    const a = be.arena!.array(1000, true)!;
    expect(a.buffer).toBe(be.arena!.buffer);
    expect(a.byteOffset % 64).toBe(0);
    expect(Array.from(a.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(be.arena!.array(2 ** 30, false)).toBeNull(); // 4 GiB: more than the reserve
  });

  it('unary kernels give the same bits with resident inputs and outputs', () => {
    rng = new Generator(1);
    const x = rand(4 * 300);
    type Run = (x: Float32Array, out: Float32Array) => void;
    const kernels: Record<string, Run> = {
      softmaxRows: (x, o) => be.softmaxRows(x, o, 4, 300),
      logSoftmaxRows: (x, o) => be.logSoftmaxRows(x, o, 4, 300),
      gelu: (x, o) => be.gelu(x, o, 'tanh'),
      geluErf: (x, o) => be.gelu(x, o, 'none'),
      tanh: (x, o) => be.tanh(x, o),
    };
    for (const [name, run] of Object.entries(kernels)) {
      const want = new Float32Array(x.length);
      run(x, want);
      for (const [rx, ro] of COMBOS) {
        const xin = place(x, rx);
        const out = place(new Float32Array(x.length), ro);
        run(xin, out);
        expect(bits(out), `${name} x ${rx} out ${ro}`).toEqual(bits(want));
        expect(bits(xin), `${name} leaves x alone`).toEqual(bits(x));
      }
      const same = place(x, true); // in place: out is x
      run(same, same);
      expect(bits(same), `${name} in place`).toEqual(bits(want));
    }
  });

  it('backward kernels give the same bits with resident operands', () => {
    rng = new Generator(2);
    const y = rand(3 * 200);
    const dy = rand(3 * 200);
    type Run = (y: Float32Array, dy: Float32Array, dx: Float32Array) => void;
    const kernels: Record<string, Run> = {
      softmaxBackwardRows: (y, d, dx) => be.softmaxBackwardRows(y, d, dx, 3, 200),
      geluBackward: (y, d, dx) => be.geluBackward(y, d, dx, 'tanh'),
      tanhBackward: (y, d, dx) => be.tanhBackward(y, d, dx),
    };
    for (const [name, run] of Object.entries(kernels)) {
      const want = new Float32Array(y.length);
      run(y, dy, want);
      for (const [rd, rx] of COMBOS) {
        for (const ry of [false, true]) {
          const din = place(dy, rd);
          const dx = place(new Float32Array(y.length), rx);
          run(place(y, ry), din, dx);
          expect(bits(dx), `${name} y ${ry} dy ${rd} dx ${rx}`).toEqual(bits(want));
          expect(bits(din)).toEqual(bits(dy));
        }
      }
    }
  });

  it('layerNorm forward and backward give the same bits with resident operands', () => {
    rng = new Generator(3);
    const [rows, cols] = [5, 70];
    const x = rand(rows * cols);
    const gamma = rand(cols);
    const beta = rand(cols);
    const dy = rand(rows * cols);
    const fwd = (r: boolean) => {
      const out = place(new Float32Array(rows * cols), r);
      const mean = place(new Float32Array(rows), r);
      const rstd = place(new Float32Array(rows), r);
      be.layerNormRows(place(x, !r), place(gamma, r), beta, out, mean, rstd, rows, cols, 1e-5);
      return { out, mean, rstd };
    };
    const want = fwd(false);
    const got = fwd(true);
    for (const k of ['out', 'mean', 'rstd'] as const) expect(bits(got[k])).toEqual(bits(want[k]));

    const bwd = (r: boolean) => {
      const dx = place(new Float32Array(rows * cols), r);
      const dgamma = place(gamma, r); // accumulates into what is there
      const dbeta = place(beta, !r);
      const m = place(want.mean, r);
      be.layerNormBackwardRows(
        place(x, r),
        gamma,
        m,
        want.rstd,
        place(dy, !r),
        dx,
        dgamma,
        dbeta,
        rows,
        cols,
      );
      return { dx, dgamma, dbeta };
    };
    const wantB = bwd(false);
    const gotB = bwd(true);
    for (const k of ['dx', 'dgamma', 'dbeta'] as const) {
      expect(bits(gotB[k]), k).toEqual(bits(wantB[k]));
    }
  });

  it('adamStep and addColumnSums update resident state in place with the same bits', () => {
    rng = new Generator(4);
    const n = 3000;
    const [p, g, m, v] = [rand(n), rand(n), rand(n), rand(n).map(Math.abs)];
    const args = {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
      decoupled: true,
      step: 3,
    };
    const run = (r: boolean) => {
      const s = [place(p, r), place(g, !r), place(m, r), place(v, r)];
      be.adamStep(s[0], s[1], s[2], s[3], args);
      be.adamStep(s[0], s[1], s[2], s[3], args);
      return s;
    };
    const want = run(false);
    const got = run(true);
    for (let i = 0; i < 4; i++) expect(bits(got[i])).toEqual(bits(want[i]));

    const x = rand(7 * 50);
    const sums = (r: boolean) => {
      const out = place(p.subarray(0, 50), r);
      be.addColumnSums(place(x, !r), out, 7, 50);
      return out;
    };
    expect(bits(sums(true))).toEqual(bits(sums(false)));
  });

  it('gemm reads resident operands and writes a resident C in place, unless C overlaps them', () => {
    rng = new Generator(5);
    const args: GemmArgs = {
      batch: 2,
      m: 9,
      n: 13,
      k: 11,
      transA: false,
      transB: true,
      strideA: 99,
      strideB: 143,
      strideC: 117,
      alpha: 0.5,
      beta: 1,
    };
    const a = rand(2 * 99);
    const b = rand(2 * 143);
    const c = rand(2 * 117);
    const want = c.slice();
    be.gemm(a, b, want, args);
    for (const [ra, rc] of COMBOS) {
      const got = place(c, rc);
      be.gemm(place(a, ra), place(b, !ra), got, args);
      expect(bits(got), `a ${ra} c ${rc}`).toEqual(bits(want));
    }
    // C is the tail of the same arena array as A: the kernel must not read values it wrote.
    const both = be.arena!.array(2 * 99 + 2 * 117, false)!;
    both.set(a);
    both.set(c, 2 * 99);
    be.gemm(both.subarray(0, 2 * 99), b, both.subarray(2 * 99), { ...args, m: 9, n: 13 });
    const overlapWant = c.slice();
    be.gemm(a, b, overlapWant, args);
    expect(bits(both.subarray(2 * 99))).toEqual(bits(overlapWant));
    const aliased = place(rand(11 * 11), true);
    const sq: GemmArgs = { ...args, batch: 1, m: 11, n: 11, k: 11, beta: 0, transB: false };
    const sqWant = new Float32Array(121);
    be.gemm(aliased, aliased, sqWant, sq);
    be.gemm(aliased, aliased, aliased, sq); // C is A and B
    expect(bits(aliased)).toEqual(bits(sqWant));
  });
});

describe('wasm backend: reserved memory', () => {
  it('borrows arena space for operands larger than its scratch area, then frees it', async () => {
    const small = await createWasmBackend({ threads: 1, reserveBytes: 192 << 20 });
    try {
      rng = new Generator(6);
      const n = 20 << 20; // 80 MB: beyond the 64 MiB scratch area
      const x = new Float32Array(n).fill(0.25);
      const out = new Float32Array(n);
      const before = small.arena!.bytesInUse;
      small.gelu(x, out, 'tanh');
      const ref = new Float32Array(16);
      small.gelu(x.subarray(0, 16), ref, 'tanh');
      expect(out[n - 1]).toBe(ref[0]);
      small.gelu(x.subarray(0, 16), ref, 'tanh'); // the next call gives the borrowed region back
      expect(small.arena!.bytesInUse).toBe(before);
      // Two 80 MB operands and the output no longer fit: a typed error, not a grown memory.
      const err = (() => {
        try {
          small.softmaxBackwardRows(x, x.slice(), out, 1 << 10, n >> 10);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toMatch(/softmaxBackwardRows: .*reserveBytes/);
    } finally {
      small.dispose();
    }
  });

  it('rejects a reserve outside the wasm32 range', async () => {
    await expect(createWasmBackend({ threads: 1, reserveBytes: 1000 })).rejects.toThrow(ValueError);
    await expect(createWasmBackend({ threads: 1, reserveBytes: 2 ** 33 })).rejects.toThrow(
      /reserveBytes must be an integer/,
    );
  });
});
