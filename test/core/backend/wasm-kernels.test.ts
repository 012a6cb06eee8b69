import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../../src/core/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { KERNEL_FILES, readKernels } from '../../../src/core/backend/wasm/locate.js';
import { BackendError } from '../../../src/core/errors.js';

/** Seeded uniform [lo, hi) floats (mulberry32). */
function rand(len: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 2 ** 32);
  }
  return out;
}

/**
 * Float32 agreement: |got - want| <= atol + rtol |want|, and NaN exactly where js has NaN.
 * The wasm kernels sum rows in float64 like js but evaluate exp/erf in float32 (a few ulp).
 */
function close(got: Float32Array, want: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (!(Number.isNaN(w) && Number.isNaN(g))) expect.fail(`element ${i}: wasm ${g} vs js ${w}`);
      continue;
    }
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w)) && g !== w) {
      expect.fail(`element ${i}: wasm ${g} vs js ${w}`);
    }
  }
}

/** Row/column shapes: single element, tails shorter than a SIMD vector, wide rows. */
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 5],
  [7, 33],
  [4, 128],
  [16, 1000],
];

let be: WasmBackend;

beforeAll(async () => {
  const built = KERNEL_FILES.every((f) =>
    existsSync(new URL(`../../../build/${f}`, import.meta.url)),
  );
  if (!built) {
    execFileSync(process.execPath, ['scripts/build-kernels.mjs'], { stdio: 'inherit' });
  }
  be = await createWasmBackend({ threads: 2 });
});
afterAll(() => be.dispose());

describe('wasm softmax kernels', () => {
  it.each(SHAPES)('softmax, log-softmax and backward match js for %i x %i', (rows, cols) => {
    const x = rand(rows * cols, rows + cols, -8, 8);
    for (let i = 0; i < x.length; i += 3) x[i] = -Infinity; // masked entries
    const want = new Float32Array(x.length);
    const got = new Float32Array(x.length);
    jsBackend.softmaxRows(x, want, rows, cols);
    be.softmaxRows(x, got, rows, cols);
    close(got, want);
    jsBackend.logSoftmaxRows(x, want, rows, cols);
    be.logSoftmaxRows(x, got, rows, cols);
    close(got, want);
    const y = new Float32Array(x.length);
    jsBackend.softmaxRows(x, y, rows, cols);
    const dy = rand(x.length, 5);
    jsBackend.softmaxBackwardRows(y, dy, want, rows, cols);
    be.softmaxBackwardRows(y, dy, got, rows, cols);
    close(got, want, 1e-5, 1e-6);
  });

  it('gives a fully masked row zeros, like js', () => {
    const x = new Float32Array([
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      -Infinity,
      1,
      2,
      3,
      4,
      5,
    ]);
    const got = new Float32Array(10).fill(7);
    be.softmaxRows(x, got, 2, 5);
    expect(Array.from(got.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
    const want = new Float32Array(10);
    jsBackend.softmaxRows(x, want, 2, 5);
    close(got, want);
    jsBackend.logSoftmaxRows(x, want, 2, 5);
    be.logSoftmaxRows(x, got, 2, 5);
    close(got, want); // -inf - (-inf) is NaN in both
  });

  it('stays finite for large logits and computes in place', () => {
    const x = rand(4 * 50, 11, -1e4, 1e4);
    const want = new Float32Array(x.length);
    jsBackend.softmaxRows(x, want, 4, 50);
    be.softmaxRows(x, x, 4, 50);
    close(x, want);
  });
});

describe('wasm layer norm kernels', () => {
  it.each(SHAPES)('forward and backward match js for %i x %i', (rows, cols) => {
    const x = rand(rows * cols, rows * 7 + cols, -3, 5);
    for (const affine of [true, false]) {
      const gamma = affine ? rand(cols, 1, 0.5, 1.5) : null;
      const beta = affine ? rand(cols, 2) : null;
      const out = [new Float32Array(x.length), new Float32Array(x.length)];
      const mean = [new Float32Array(rows), new Float32Array(rows)];
      const rstd = [new Float32Array(rows), new Float32Array(rows)];
      jsBackend.layerNormRows(x, gamma, beta, out[0], mean[0], rstd[0], rows, cols, 1e-5);
      be.layerNormRows(x, gamma, beta, out[1], mean[1], rstd[1], rows, cols, 1e-5);
      close(out[1], out[0], 1e-5, 1e-5);
      close(mean[1], mean[0]);
      close(rstd[1], rstd[0]);

      const dy = rand(x.length, 3);
      const dx = [new Float32Array(x.length), new Float32Array(x.length)];
      const dgamma = affine ? [rand(cols, 4), rand(cols, 4)] : [null, null];
      const dbeta = affine ? [rand(cols, 5), rand(cols, 5)] : [null, null];
      jsBackend.layerNormBackwardRows(
        x,
        gamma,
        mean[0],
        rstd[0],
        dy,
        dx[0],
        dgamma[0],
        dbeta[0],
        rows,
        cols,
      );
      be.layerNormBackwardRows(
        x,
        gamma,
        mean[0],
        rstd[0],
        dy,
        dx[1],
        dgamma[1],
        dbeta[1],
        rows,
        cols,
      );
      close(dx[1], dx[0], 1e-4, 1e-5);
      if (affine) {
        close(dgamma[1]!, dgamma[0]!, 1e-5, 1e-5 * rows);
        close(dbeta[1]!, dbeta[0]!, 1e-5, 1e-6 * rows);
      }
    }
  });
});

describe('wasm gelu kernels', () => {
  // A grid through the tails (where js's 1 + erf cancels) plus random values and a ragged tail.
  const grid = Float32Array.from({ length: 4003 }, (_, i) => -20 + (40 * i) / 4002);
  const x = new Float32Array([...grid, ...rand(997, 9, -4, 4), 0, -0, 1e-30, -1e-30, Infinity]);
  it.each(['none', 'tanh'] as const)('gelu and its backward match js (%s)', (mode) => {
    const want = new Float32Array(x.length);
    const got = new Float32Array(x.length);
    jsBackend.gelu(x, want, mode);
    be.gelu(x, got, mode);
    close(got, want, 1e-5, 1e-6);
    const dy = rand(x.length, 10);
    jsBackend.geluBackward(x, dy, want, mode);
    be.geluBackward(x, dy, got, mode);
    close(got, want, 1e-5, 1e-6);
  });

  it('is accurate to a few ulp against float64 erfc in the left tail', () => {
    // Phi(x) for x = -6, -9, -12 from float64 erfc (Python math.erfc).
    const xs = new Float32Array([-6, -9, -12]);
    const phi = [9.865876450377012e-10, 1.1285884059538422e-19, 1.776482112077702e-33];
    const got = new Float32Array(3);
    be.gelu(xs, got, 'none');
    for (let i = 0; i < 3; i++) {
      const want = xs[i] * phi[i];
      expect(Math.abs(got[i] - want) / Math.abs(want)).toBeLessThan(1e-6);
    }
  });
});

describe('wasm adam kernel', () => {
  it.each([true, false])('matches js over several steps (decoupled %s)', (decoupled) => {
    const n = 1037;
    const p = [rand(n, 1), rand(n, 1)];
    const m = [new Float32Array(n), new Float32Array(n)];
    const v = [new Float32Array(n), new Float32Array(n)];
    for (let step = 1; step <= 5; step++) {
      const g = rand(n, 100 + step, -2, 2);
      const args = {
        lr: 1e-2,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.1,
        decoupled,
        step,
      };
      jsBackend.adamStep(p[0], g, m[0], v[0], args);
      be.adamStep(p[1], g, m[1], v[1], args);
    }
    close(p[1], p[0], 1e-5, 1e-6);
    close(m[1], m[0], 1e-5, 1e-7);
    close(v[1], v[0], 1e-5, 1e-8);
  });
});

describe('wasm backend plumbing', () => {
  it('hands float64 to the js backend', () => {
    const x = Float64Array.from(rand(12, 3));
    const want = new Float64Array(12);
    const got = new Float64Array(12);
    jsBackend.softmaxRows(x, want, 3, 4);
    be.softmaxRows(x, got, 3, 4);
    expect(got).toEqual(want);
    jsBackend.gelu(x, want, 'none');
    be.gelu(x, got, 'none');
    expect(got).toEqual(want);
  });

  it('grows its arena for large operands and keeps working', () => {
    const n = 3 << 20; // 12 MB per operand, beyond the initial arena
    const x = rand(n, 4);
    const want = new Float32Array(n);
    const got = new Float32Array(n);
    jsBackend.gelu(x, want, 'tanh');
    be.gelu(x, got, 'tanh');
    close(got, want);
    be.gelu(x.subarray(0, 10), got.subarray(0, 10), 'tanh');
    close(got.subarray(0, 10), want.subarray(0, 10));
  });

  it('says how to build the kernels when build/kernels.wasm is missing', async () => {
    const err = await readKernels('/nonexistent/kernels.wasm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/npm run build:kernels/);
  });

  it('does not keep the process alive without dispose()', () => {
    const script = [
      "import { createWasmBackend } from './src/core/backend/wasm/index.ts';",
      'const be = await createWasmBackend({ threads: 2 });',
      'const a = new Float32Array(200 * 200).fill(1);',
      'be.gemm(a, a, new Float32Array(200 * 200), { batch: 1, m: 200, n: 200, k: 200, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, alpha: 1, beta: 0 });',
      "console.log('done');",
    ].join('\n');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: new URL('../../..', import.meta.url),
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done');
    expect(r.status).toBe(0);
  });
});
