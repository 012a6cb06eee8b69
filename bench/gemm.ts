import type { Backend } from '../src/core/backend/index.js';
import { getBackend } from '../src/core/backend/index.js';
import { median, peakRssMb, timeRuns } from './harness.js';

export function benchGemmSizes(backend: Backend, sizes: number[], repeats = 10) {
  const out: {
    size: number;
    transA: boolean;
    transB: boolean;
    medianMs: number;
    gflops: number;
  }[] = [];
  const cases: [number, boolean, boolean][] = sizes.map((n) => [n, false, false]);
  const mid = sizes.includes(512) ? 512 : sizes[0];
  cases.push([mid, false, true], [mid, true, false]);
  for (const [n, transA, transB] of cases) {
    const a = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const b = new Float32Array(n * n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
    const c = new Float32Array(n * n);
    const args = {
      batch: 1,
      m: n,
      n,
      k: n,
      transA,
      transB,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      alpha: 1,
      beta: 0,
    };
    const reps = n >= 1024 ? Math.max(3, repeats >> 1) : repeats;
    const ms = median(timeRuns(() => backend.gemm(a, b, c, args), 2, reps));
    out.push({ size: n, transA, transB, medianMs: ms, gflops: (2 * n * n * n) / (ms * 1e6) });
  }
  return out;
}

export function runGemm(options: { repeats?: number }) {
  const backend = getBackend();
  const results = benchGemmSizes(backend, [256, 512, 1024], options.repeats ?? 10);
  // Which build of the wasm kernels ran (relaxed SIMD with FMA, or baseline); absent elsewhere.
  const simd = (backend as { simd?: string }).simd;
  return { ...(simd ? { simd } : {}), results, peakRssMb: peakRssMb() };
}
