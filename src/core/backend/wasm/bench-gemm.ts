import type { Backend } from '../backend.js';

export interface GemmBenchResult {
  size: number;
  iters: number;
  /** Median wall time of one call, copies in and out of the backend included. */
  medianMs: number;
  gflops: number;
}

/**
 * Times `iters` float32 size^3 GEMMs (C = op(A) op(B), beta 0) on `backend` after one warm-up
 * call and reports the median. Inputs come from a fixed-seed generator, so runs are comparable.
 */
export function benchGemm(
  backend: Backend,
  size: number,
  iters: number,
  options: { transA?: boolean; transB?: boolean } = {},
): GemmBenchResult {
  const n = size;
  const a = filled(n * n, 1);
  const b = filled(n * n, 2);
  const c = new Float32Array(n * n);
  const args = {
    batch: 1,
    m: n,
    n,
    k: n,
    transA: options.transA ?? false,
    transB: options.transB ?? false,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    alpha: 1,
    beta: 0,
  };
  backend.gemm(a, b, c, args);
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    backend.gemm(a, b, c, args);
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  const medianMs = times[Math.floor(times.length / 2)];
  return { size, iters, medianMs, gflops: (2 * n * n * n) / (medianMs * 1e6) };
}

/** Uniform values in [-1, 1) from a 32-bit LCG (Numerical Recipes constants). */
export function filled(len: number, seed: number): Float32Array {
  const out = new Float32Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
