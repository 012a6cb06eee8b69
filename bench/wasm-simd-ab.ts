// A/B of the two builds of the wasm kernels (relaxed SIMD with the 6x8 FMA GEMM tile, baseline
// SIMD with the 5x8 mul+add tile) in one process, alternating the order every round so that a
// noisy neighbour hits both alike. Reports per-case medians over rounds: GFLOP/s from the median
// wall time of a call, and from process CPU time (steadier on a shared machine, but with two
// threads it also counts the main thread's spin-wait for its worker); gpt-step in ms per step.
//
//   npx tsx bench/wasm-simd-ab.ts gemm --threads 1 --rounds 5 [--sizes 64,128,256,512,1024]
//   npx tsx bench/wasm-simd-ab.ts gpt-step --threads 2 --rounds 6
// Prints one JSON object (the per-round values included).

import { parseArgs } from 'node:util';
import { setBackend } from '../src/core/backend/index.js';
import { filled } from '../src/core/backend/wasm/bench-gemm.js';
import { createWasmBackend, type WasmBackend } from '../src/core/backend/wasm/index.js';
import { runGptStep } from './gpt-step.js';
import { median } from './harness.js';

const BUILDS = ['baseline', 'relaxed'] as const;
type Build = (typeof BUILDS)[number];
type Samples = Record<Build, { wall: number[]; cpu: number[] }>;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '64,128,256,512,1024' },
  },
});
const what = positionals[0] ?? 'gemm';
if (what !== 'gemm' && what !== 'gpt-step') throw new Error(`unknown benchmark '${what}'`);
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const backends = {} as Record<Build, WasmBackend>;
for (const simd of BUILDS) backends[simd] = await createWasmBackend({ threads, simd });

/** Build order for round r: baseline first in even rounds, relaxed first in odd ones. */
const order = (r: number): readonly Build[] => (r % 2 ? [...BUILDS].reverse() : BUILDS);
const cpuMs = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e3;
};

const cases: Record<string, Samples> = {};
const sample = (key: string, simd: Build, wall: number, cpu: number) => {
  cases[key] ??= { baseline: { wall: [], cpu: [] }, relaxed: { wall: [], cpu: [] } };
  cases[key][simd].wall.push(wall);
  cases[key][simd].cpu.push(cpu);
};

for (let r = 0; r < rounds; r++) {
  if (what === 'gpt-step') {
    for (const simd of order(r)) {
      setBackend(backends[simd]);
      const start = process.cpuUsage();
      const steps = 8;
      const out = runGptStep({ steps, warmup: 2 });
      sample('gpt-step ms', simd, out.median, cpuMs(start) / (steps + 2));
    }
    continue;
  }
  for (const n of values.sizes.split(',').map(Number)) {
    for (const [transA, transB, op] of [
      [false, false, 'NN'],
      [false, true, 'NT'],
      [true, false, 'TN'],
    ] as const) {
      const a = filled(n * n, 1);
      const b = filled(n * n, 2);
      const c = new Float32Array(n * n);
      const args = { batch: 1, m: n, n, k: n, transA, transB, strideA: 0, strideB: 0 };
      const g = { ...args, strideC: 0, alpha: 1, beta: 0 };
      const flop = 2 * n ** 3;
      const iters = Math.max(3, Math.min(200, Math.round(3e8 / flop)));
      for (const simd of order(r)) {
        const be = backends[simd];
        be.gemm(a, b, c, g);
        const walls: number[] = [];
        const start = process.cpuUsage();
        for (let i = 0; i < iters; i++) {
          const t0 = performance.now();
          be.gemm(a, b, c, g);
          walls.push(performance.now() - t0);
        }
        const cpu = cpuMs(start);
        sample(
          `${n} ${op} GFLOP/s`,
          simd,
          flop / (median(walls) * 1e6),
          (flop * iters) / (cpu * 1e6),
        );
      }
    }
  }
}
for (const be of Object.values(backends)) be.dispose();

const summary = Object.entries(cases).map(([key, s]) => ({
  case: key,
  baseline: { wall: median(s.baseline.wall), cpu: median(s.baseline.cpu) },
  relaxed: { wall: median(s.relaxed.wall), cpu: median(s.relaxed.cpu) },
  ratioWall: median(s.relaxed.wall) / median(s.baseline.wall),
  ratioCpu: median(s.relaxed.cpu) / median(s.baseline.cpu),
  rounds: s,
}));
const record = { bench: what, threads, rounds, node: process.version, summary };
console.log(JSON.stringify(record));
