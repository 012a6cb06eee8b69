import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GemmArgs } from '../../../src/core/backend/backend.js';
import { jsBackend } from '../../../src/core/backend/js.js';
import {
  detectRelaxedSimd,
  relaxedSimdAvailable,
} from '../../../src/core/backend/wasm/features.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { KERNEL_FILES } from '../../../src/core/backend/wasm/locate.js';
import { WorkerPool } from '../../../src/core/backend/wasm/pool.js';
import { type WasmModule, wasmApi } from '../../../src/core/backend/wasm/wasm-api.js';
import { BackendError, ShapeError } from '../../../src/core/errors.js';

/** Seeded uniform [-1, 1) floats (mulberry32). */
function rand(len: number, seed: number): Float32Array {
  const out = new Float32Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

function args(m: number, n: number, k: number, over: Partial<GemmArgs> = {}): GemmArgs {
  return {
    batch: 1,
    m,
    n,
    k,
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

/**
 * Runs wasm and js on the same inputs and checks every element against a float32 rounding
 * bound: both sum k products in float32, so
 *   |wasm - js| <= 2 (k + 2) eps (|alpha| |A||B| + |beta C|)
 * (the bound computed in float64 by running the js gemm on absolute values).
 */
function check(backend: WasmBackend, g: GemmArgs, seed = 1): void {
  const lenA = (g.batch - 1) * g.strideA + g.m * g.k;
  const lenB = (g.batch - 1) * g.strideB + g.k * g.n;
  const lenC = (g.batch - 1) * g.strideC + g.m * g.n;
  const a = rand(lenA, seed);
  const b = rand(lenB, seed + 1);
  const c0 = rand(lenC, seed + 2);
  const want = c0.slice();
  const got = c0.slice();
  jsBackend.gemm(a, b, want, g);
  backend.gemm(a, b, got, g);
  const bound = Float64Array.from(c0, Math.abs);
  const absArgs = { ...g, alpha: Math.abs(g.alpha), beta: Math.abs(g.beta) };
  jsBackend.gemm(Float64Array.from(a, Math.abs), Float64Array.from(b, Math.abs), bound, absArgs);
  const eps = 2 ** -23;
  for (let i = 0; i < lenC; i++) {
    const tol = 2 * (g.k + 2) * eps * bound[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      expect.fail(
        `element ${i}: wasm ${got[i]} vs js ${want[i]} (tol ${tol}) for ${JSON.stringify(g)}`,
      );
    }
  }
}

const TRANS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

// Both builds of the kernels where this Node can run the relaxed-SIMD one (Node 20 can, after
// features.ts turns its flag on): they differ in the GEMM micro-kernel (tile and FMA).
const SIMD = relaxedSimdAvailable() ? (['baseline', 'relaxed'] as const) : (['baseline'] as const);
const VARIANTS = SIMD.flatMap((simd) => [1, 2].map((threads) => [threads, simd] as const));
const backends: Record<string, WasmBackend> = {};

beforeAll(async () => {
  const built = KERNEL_FILES.every((f) =>
    existsSync(new URL(`../../../build/${f}`, import.meta.url)),
  );
  if (!built) {
    execFileSync(process.execPath, ['scripts/build-kernels.mjs'], { stdio: 'inherit' });
  }
  for (const [threads, simd] of VARIANTS) {
    backends[`${threads} ${simd}`] = await createWasmBackend({ threads, simd });
  }
  backends[1] = await createWasmBackend({ threads: 1 });
  backends[2] = await createWasmBackend({ threads: 2 });
});
afterAll(() => {
  for (const b of Object.values(backends)) b.dispose();
});

describe.each(VARIANTS)('wasm gemm, %i thread(s), %s SIMD', (threadCount, simd) => {
  const threads = `${threadCount} ${simd}`;
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 65],
    [5, 8, 384], // exactly one micro-tile and one k block (baseline: 5 x 8)
    [6, 9, 385], // one past each; exactly one tile of the relaxed build (6 x 8)
    [7, 9, 385], // one past that
    [1, 100, 70], // a row vector
    [64, 1, 32], // a column vector
    [130, 260, 300], // several tiles, parallel
    [203, 97, 411], // m > n: split over rows when parallel
  ];
  it.each(shapes)('matches js for %i x %i x %i, all transposes', (m, n, k) => {
    for (const [transA, transB] of TRANS)
      check(backends[threads], args(m, n, k, { transA, transB }));
  });

  it('handles alpha, beta = 1 (accumulate) and other betas', () => {
    for (const [transA, transB] of TRANS) {
      for (const [alpha, beta] of [
        [-0.5, 1],
        [2, 0],
        [1, 0.25],
        [0.75, -1],
      ]) {
        check(backends[threads], args(37, 41, 29, { transA, transB, alpha, beta }));
        check(backends[threads], args(150, 140, 90, { transA, transB, alpha, beta }), 7);
      }
    }
  });

  // Sizes chosen so the 2-thread backend really splits (above its serial threshold).
  it('handles batches with broadcast strides', () => {
    const be = backends[threads];
    for (const [transA, transB] of TRANS) {
      check(be, args(9, 11, 13, { batch: 3, strideA: 0, transA, transB })); // one A for all
      check(be, args(9, 11, 13, { batch: 3, strideB: 0, transA, transB, beta: 1 })); // one B
      check(be, args(100, 90, 80, { batch: 4, transA, transB })); // split over the batch
      check(be, args(120, 100, 90, { batch: 3, strideA: 0, transA, transB })); // split per matrix
      check(be, args(90, 120, 70, { batch: 3, strideB: 0, transA, transB, beta: 1 }));
    }
  });

  it('keeps the gaps between strided C matrices and sums into a shared C', () => {
    const be = backends[threads];
    check(be, args(30, 40, 20, { batch: 3, strideC: 30 * 40 + 5 }));
    check(be, args(80, 90, 70, { batch: 2, strideC: 80 * 90 + 3 }));
    check(be, args(100, 90, 60, { batch: 4, strideC: 0, beta: 1 })); // C += sum of products
    check(be, args(100, 90, 60, { batch: 4, strideC: 50 * 90 })); // overlapping: in order
  });

  it('treats k = 0 as C = beta C, and overwrites NaN in C when beta = 0', () => {
    const be = backends[threads];
    const c = new Float32Array([1, 2, 3, 4, 5, 6]);
    be.gemm(new Float32Array(0), new Float32Array(0), c, args(2, 3, 0, { beta: 1 }));
    expect(Array.from(c)).toEqual([1, 2, 3, 4, 5, 6]);
    be.gemm(new Float32Array(0), new Float32Array(0), c, args(2, 3, 0));
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    const big = new Float32Array(120 * 110).fill(NaN);
    be.gemm(rand(120 * 100, 3), rand(100 * 110, 4), big, args(120, 110, 100));
    expect(big.some(Number.isNaN)).toBe(false);
  });

  // Small operands are read in place, and edge tiles then read a few floats past a matrix: here
  // the gaps between batch matrices hold NaN, which must not reach any stored element of C.
  it('reads small operands in place without letting the values past a matrix into C', () => {
    const be = backends[threads];
    for (const [m, n, k] of [
      [7, 3, 5],
      [64, 2, 64],
      [2, 64, 64],
      [13, 13, 9],
    ]) {
      for (const [transA, transB] of TRANS) {
        const g = args(m, n, k, { batch: 2, transA, transB, strideA: m * k + 7 });
        g.strideB = k * n + 9;
        const a = rand(g.strideA + m * k, 1);
        const b = rand(g.strideB + k * n, 2);
        a.fill(NaN, m * k, g.strideA);
        b.fill(NaN, k * n, g.strideB);
        const want = new Float32Array(2 * m * n);
        const got = new Float32Array(2 * m * n);
        jsBackend.gemm(a, b, want, g);
        be.gemm(a, b, got, g);
        got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
      }
    }
  });

  // 1 x 1 x 800k: 6.4 MB of operands, beyond the initial 4 MB arena, and below the parallel
  // threshold, so it grows the unshared memory of the calling thread's instance (which detaches
  // every view of it); the GEMMs after it must still find their job and operands.
  it('grows the calling thread arena for a small-flop GEMM and keeps working', () => {
    const be = backends[threads];
    const k = 800_000;
    const a = new Float32Array(k).fill(1);
    const b = Float32Array.from({ length: k }, (_, i) => (i % 3) - 1 + (i === 7 ? 5 : 0));
    const c = new Float32Array(1);
    be.gemm(a, b, c, args(1, 1, k));
    expect(c[0]).toBe(b.reduce((s, v) => s + v, 0)); // small integers: exact in float32
    check(be, args(17, 33, 65, { beta: 1 }));
    check(be, args(130, 260, 300)); // and the parallel instance, with 2 threads
  });

  it('agrees with js on many random shapes around the tile and thread thresholds', () => {
    const r = rand(400, 99);
    for (let i = 0; i < 40; i++) {
      const m = 1 + Math.floor((r[i * 4] + 1) * 60);
      const n = 1 + Math.floor((r[i * 4 + 1] + 1) * 60);
      const k = 1 + Math.floor((r[i * 4 + 2] + 1) * 60);
      const [transA, transB] = TRANS[i % 4];
      check(backends[threads], args(m, n, k, { transA, transB, beta: i % 3 === 0 ? 1 : 0 }), i);
    }
  });
});

// Seeded runs must not depend on the thread count: chunks split C along whole tiles and never
// change a tile's summation order, so 1 and 2 threads give the same bits (per build).
it.each(SIMD)('gives the same bits on 1 and 2 threads (%s SIMD)', (simd) => {
  for (const [m, n, k, transA, transB] of [
    [203, 97, 411, true, false],
    [130, 700, 500, false, true],
    [300, 300, 300, false, false],
  ] as const) {
    const g = args(m, n, k, { transA, transB });
    const a = rand(m * k, 1);
    const b = rand(k * n, 2);
    const one = new Float32Array(m * n);
    const two = new Float32Array(m * n);
    backends[`1 ${simd}`].gemm(a, b, one, g);
    backends[`2 ${simd}`].gemm(a, b, two, g);
    expect(two).toEqual(one);
  }
});

describe('wasm gemm dispatch and errors', () => {
  it('hands float64 to the js backend', () => {
    const a = Float64Array.from(rand(12, 1));
    const b = Float64Array.from(rand(20, 2));
    const want = new Float64Array(15);
    const got = new Float64Array(15);
    jsBackend.gemm(a, b, want, args(3, 5, 4));
    backends[2].gemm(a, b, got, args(3, 5, 4));
    expect(got).toEqual(want);
  });

  it('names the short operand', () => {
    expect(() =>
      backends[1].gemm(
        new Float32Array(5),
        new Float32Array(20),
        new Float32Array(15),
        args(3, 5, 4),
      ),
    ).toThrow(ShapeError);
    expect(() =>
      backends[1].gemm(
        new Float32Array(12),
        new Float32Array(20),
        new Float32Array(15),
        args(3, 5, 4, { batch: 2 }),
      ),
    ).toThrow(/'a' has 12 elements, needs 24/);
  });

  it('reports 1 thread for threads: 1 and rejects a bad thread count', async () => {
    expect(backends[1].threads).toBe(1);
    expect(backends[2].threads).toBe(2);
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(/threads must be an integer/);
  });

  // Node 20's V8 has relaxed SIMD behind a flag that features.ts turns on in-process; later
  // versions ship it enabled. Either way the fast build must be reachable without node flags.
  it('finds relaxed SIMD on Node >= 20 without command-line flags', () => {
    expect(process.execArgv.join(' ')).not.toContain('relaxed-simd');
    expect(relaxedSimdAvailable()).toBe(true);
  });

  it('turns the V8 flag on only when the probe module does not validate, and falls back', () => {
    const flags: string[] = [];
    const setFlag = (f: string) => flags.push(f);
    expect(detectRelaxedSimd(() => true, setFlag)).toBe(true);
    expect(flags).toEqual([]);
    let on = false;
    const afterFlag = () => on;
    expect(detectRelaxedSimd(afterFlag, (f) => ((on = true), setFlag(f)))).toBe(true);
    expect(flags).toEqual(['--experimental-wasm-relaxed-simd']);
    expect(detectRelaxedSimd(() => false, setFlag)).toBe(false); // an engine without the flag
    // The probe is a real relaxed-SIMD module: a validator that knows relaxed SIMD accepts it.
    let probe: Uint8Array | null = null;
    detectRelaxedSimd(
      (bytes) => ((probe = bytes), false),
      () => {},
    );
    expect(relaxedSimdAvailable() && wasmApi.validate(probe!)).toBe(true);
  });

  it('uses the relaxed-SIMD build by default where it validates, and names a bad simd', async () => {
    expect(backends[1].simd).toBe(relaxedSimdAvailable() ? 'relaxed' : 'baseline');
    expect(backends['1 baseline'].simd).toBe('baseline');
    const bad = { threads: 1, simd: 'avx' as 'auto' };
    await expect(createWasmBackend(bad)).rejects.toThrow(/simd must be one of .*, got 'avx'/);
  });

  it('reads the default build from OSMOSIS_WASM_SIMD and names the variable when it is bad', async () => {
    const before = process.env.OSMOSIS_WASM_SIMD;
    try {
      process.env.OSMOSIS_WASM_SIMD = 'baseline';
      const be = await createWasmBackend({ threads: 1 });
      expect(be.simd).toBe('baseline');
      be.dispose();
      process.env.OSMOSIS_WASM_SIMD = 'fma';
      await expect(createWasmBackend({ threads: 1 })).rejects.toThrow(
        /OSMOSIS_WASM_SIMD must be one of auto, relaxed, baseline, got 'fma'/,
      );
    } finally {
      if (before === undefined) delete process.env.OSMOSIS_WASM_SIMD;
      else process.env.OSMOSIS_WASM_SIMD = before;
    }
  });

  // Jobs are claimed piece by piece, so the main thread can finish one alone; it must not wait
  // for a worker that has not turned up (the old protocol waited for every worker).
  it('finishes a job without a worker that never joins it', async () => {
    const memory = new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
    const absent = new URL('../../fixtures/wasm/absent-worker.mjs', import.meta.url);
    const module = {} as WasmModule; // the stand-in never instantiates it
    const pool = await WorkerPool.start(module, memory, 0, 1, fileURLToPath(absent));
    try {
      let runs = 0;
      for (let i = 0; i < 3; i++) pool.run(2, () => runs++, 'test');
      expect(runs).toBe(3);
    } finally {
      pool.dispose();
    }
  });

  it('throws BackendError after dispose', async () => {
    const be = await createWasmBackend({ threads: 2 });
    be.dispose();
    expect(() => be.gemm(rand(4, 1), rand(4, 2), new Float32Array(4), args(2, 2, 2))).toThrow(
      BackendError,
    );
  });
});
