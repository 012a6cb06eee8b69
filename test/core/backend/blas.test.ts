import { describe, expect, it } from 'vitest';
import type { GemmArgs } from '../../../src/core/backend/backend.js';
import { blasAvailable, createBlasBackend } from '../../../src/core/backend/blas/index.js';
import { loadAddon } from '../../../src/core/backend/blas/addon.js';
import { jsBackend } from '../../../src/core/backend/js.js';
import { BackendError, ShapeError, ValueError } from '../../../src/core/errors.js';

/** mulberry32: a tiny seeded PRNG, uniform in [-1, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}

function filled(size: number, rand: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rand();
  return out;
}

function gemmArgs(over: Partial<GemmArgs> & Pick<GemmArgs, 'm' | 'n' | 'k'>): GemmArgs {
  const { m, n, k } = over;
  return {
    batch: 1,
    transA: false,
    transB: false,
    strideA: m * k,
    strideB: k * n,
    strideC: m * n,
    alpha: 1,
    beta: 0,
    ...over,
  };
}

/** Runs gemm on blas and js from the same inputs and compares C elementwise. */
function compareWithJs(args: GemmArgs, seed: number, cInit: 'random' | 'nan' = 'random'): void {
  const rand = prng(seed);
  const span = (stride: number, size: number) => (args.batch - 1) * stride + size;
  const a = filled(span(args.strideA, args.m * args.k), rand);
  const b = filled(span(args.strideB, args.k * args.n), rand);
  const c0 = filled(span(args.strideC, args.m * args.n), rand);
  if (cInit === 'nan') c0.fill(NaN);
  const expected = c0.slice();
  const actual = c0.slice();
  jsBackend.gemm(a, b, expected, args);
  createBlasBackend().gemm(a, b, actual, args);
  const tol = 2e-5 * Math.max(1, args.k) * Math.max(1, Math.abs(args.alpha));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (Number.isNaN(e)) expect(actual[i], `element ${i}`).toBeNaN();
    else if (Math.abs(actual[i] - e) > tol) {
      expect.fail(`${JSON.stringify(args)}: element ${i} is ${actual[i]}, js gives ${e}`);
    }
  }
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [2, 3, 4],
  [7, 5, 3],
  [17, 13, 11],
  [33, 1, 65],
  [1, 100, 1],
  [100, 1, 100],
  [64, 64, 64],
  [65, 63, 127],
];
const transposes: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

describe.skipIf(!blasAvailable())(
  'blas backend (needs libopenblas-dev and npm run build:blas)',
  () => {
    it('matches js on every transpose combination and odd sizes', () => {
      let seed = 1;
      for (const [m, n, k] of shapes) {
        for (const [transA, transB] of transposes) {
          compareWithJs(gemmArgs({ m, n, k, transA, transB }), seed++);
        }
      }
    });

    it('applies alpha and beta', () => {
      let seed = 100;
      for (const [alpha, beta] of [
        [0.5, 1],
        [-2, 0.25],
        [1, 1],
        [0, 1],
        [3, 0],
      ]) {
        for (const [transA, transB] of transposes) {
          compareWithJs(gemmArgs({ m: 9, n: 6, k: 5, transA, transB, alpha, beta }), seed++);
        }
      }
    });

    it('overwrites C when beta is 0, even where C holds NaN', () => {
      compareWithJs(gemmArgs({ m: 5, n: 4, k: 3 }), 7, 'nan');
    });

    it('runs batches with padded strides and broadcasts a stride-0 matrix', () => {
      const [m, n, k] = [6, 5, 4];
      let seed = 200;
      for (const [transA, transB] of transposes) {
        const batch = 3;
        compareWithJs(gemmArgs({ m, n, k, batch, transA, transB, strideA: 0 }), seed++);
        compareWithJs(gemmArgs({ m, n, k, batch, transA, transB, strideB: 0 }), seed++);
        const padded = { strideA: m * k + 3, strideB: k * n + 1, strideC: m * n + 2 };
        compareWithJs(gemmArgs({ m, n, k, batch, transA, transB, ...padded }), seed++);
        compareWithJs(gemmArgs({ m, n, k, batch, transA, transB, strideC: 0, beta: 1 }), seed++);
      }
    });

    it('handles empty shapes: k = 0 scales C by beta, m = 0 or batch = 0 touches nothing', () => {
      compareWithJs(gemmArgs({ m: 3, n: 4, k: 0, beta: 0 }), 300);
      compareWithJs(gemmArgs({ m: 3, n: 4, k: 0, beta: 0.5 }), 301);
      compareWithJs(gemmArgs({ m: 0, n: 4, k: 2, beta: 1 }), 302);
      compareWithJs(gemmArgs({ m: 3, n: 4, k: 2, batch: 0 }), 303);
    });

    it('hands float64 to the js backend unchanged', () => {
      const rand = prng(9);
      const a = Float64Array.from(filled(12, rand));
      const b = Float64Array.from(filled(20, rand));
      const expected = new Float64Array(15);
      const actual = new Float64Array(15);
      const args = gemmArgs({ m: 3, n: 5, k: 4 });
      jsBackend.gemm(a, b, expected, args);
      createBlasBackend().gemm(a, b, actual, args);
      expect(actual).toEqual(expected);
    });

    it('runs every other kernel on its rows backend (js by default)', () => {
      const backend = createBlasBackend();
      expect(backend.name).toBe('blas');
      const x = new Float32Array([1, 2, 3, 4, 5, 6]);
      const [viaBlas, viaJs] = [new Float32Array(6), new Float32Array(6)];
      backend.softmaxRows(x, viaBlas, 2, 3);
      jsBackend.softmaxRows(x, viaJs, 2, 3);
      expect(viaBlas).toEqual(viaJs);
      const calls: string[] = [];
      const rows = { ...jsBackend, dispose: () => calls.push('dispose') };
      for (const name of ['softmaxRows', 'layerNormBackwardRows', 'gelu', 'adamStep'] as const) {
        rows[name] = () => void calls.push(name);
      }
      const composed = createBlasBackend({ rows });
      composed.softmaxRows(x, viaBlas, 2, 3);
      composed.gelu(x, viaBlas, 'tanh');
      composed.dispose();
      expect(calls).toEqual(['softmaxRows', 'gelu', 'dispose']);
    });

    it('sets and reports threads', () => {
      expect(createBlasBackend({ threads: 1 }).threads).toBe(1);
      const two = createBlasBackend({ threads: 2 });
      expect(two.threads).toBe(2);
      compareWithJs(gemmArgs({ m: 128, n: 96, k: 80 }), 400);
      expect(() => createBlasBackend({ threads: 0 })).toThrow(ValueError);
      expect(() => createBlasBackend({ threads: 1.5 })).toThrow(ValueError);
    });

    it('throws ShapeError, not a crash, when arrays are shorter than the shapes need', () => {
      const backend = createBlasBackend();
      const big = new Float32Array(1000);
      const short = new Float32Array(11);
      const args = gemmArgs({ m: 3, n: 4, k: 4 });
      expect(() => backend.gemm(short, big, big.subarray(500), args)).toThrow(ShapeError);
      expect(() => backend.gemm(big.subarray(0, 100), short, big.subarray(500), args)).toThrow(
        /gemm: 'b' has 11 elements but batch=1, m=3, n=4, k=4.* need 16/,
      );
      expect(() => backend.gemm(big, big.subarray(0, 16), short, args)).toThrow(ShapeError);
      // The second matrix of a batch starts past the end.
      const batched = { ...args, batch: 2, strideA: 12 };
      expect(() =>
        backend.gemm(new Float32Array(23), new Float32Array(32), new Float32Array(24), batched),
      ).toThrow(/strideA=12 need 24/);
      expect(() => backend.gemm(big, big, big, { ...args, m: -1 })).toThrow(ShapeError);
      expect(() => backend.gemm(big, big, big, { ...args, k: 2.5 })).toThrow(ShapeError);
      expect(() => backend.gemm(big, big, big, { ...args, strideA: -4 })).toThrow(ShapeError);
    });

    it('refuses an output that overlaps an input', () => {
      const backend = createBlasBackend();
      const buf = new Float32Array(64);
      const args = gemmArgs({ m: 4, n: 4, k: 4 });
      expect(() => backend.gemm(buf, buf.subarray(16, 32), buf.subarray(8, 24), args)).toThrow(
        ValueError,
      );
    });

    it('checks its arguments in C too', () => {
      const load = loadAddon();
      if (!('addon' in load)) throw load.error;
      const { gemm } = load.addon as unknown as { gemm: (...args: unknown[]) => void };
      const f = (size: number) => new Float32Array(size);
      const ok = [f(12), f(20), f(15), 1, 3, 5, 4, false, false, 12, 20, 15, 1, 0];
      expect(() => gemm(...ok)).not.toThrow();
      expect(() => gemm(...ok.slice(0, 13))).toThrow(/expected 14 arguments, got 13/);
      expect(() => gemm(new Float64Array(12), ...ok.slice(1))).toThrow(
        /'a' must be a Float32Array/,
      );
      expect(() => gemm(...ok.slice(0, 2), f(14), ...ok.slice(3))).toThrow(RangeError);
      expect(() => gemm(...ok.slice(0, 4), -3, ...ok.slice(5))).toThrow(/'m' must be an integer/);
      expect(() => gemm(...ok.slice(0, 7), 1, ...ok.slice(8))).toThrow(
        /'transA' must be a boolean/,
      );
    });
  },
);

describe.skipIf(blasAvailable())('blas backend when the addon is not built', () => {
  it('throws BackendError naming libopenblas-dev and build:blas', () => {
    expect(() => createBlasBackend()).toThrow(BackendError);
    expect(() => createBlasBackend()).toThrow(/libopenblas-dev.*npm run build:blas/);
  });
});
