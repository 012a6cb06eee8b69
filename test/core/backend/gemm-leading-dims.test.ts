import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, GemmArgs } from '../../../src/core/backend/backend.js';
import { blasAvailable, createBlasBackend } from '../../../src/core/backend/blas/index.js';
import { loadAddon } from '../../../src/core/backend/blas/addon.js';
import { jsBackend } from '../../../src/core/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { Generator, ShapeError } from '../../../src/core/index.js';

function rand(len: number, seed: number): Float32Array {
  const rng = new Generator(seed);
  return Float32Array.from({ length: len }, () => 2 * rng.uniform() - 1);
}

/** count matrices of rows x cols, rows ld apart and matrices stride apart, made compact. */
function compact(
  x: Float32Array,
  count: number,
  stride: number,
  rows: number,
  cols: number,
  ld: number,
) {
  const out = new Float32Array(count * rows * cols);
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < rows; r++) {
      out.set(x.subarray(i * stride + r * ld, i * stride + r * ld + cols), (i * rows + r) * cols);
    }
  }
  return out;
}

interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Extra elements per row beyond the row length (0: contiguous). */
  padA: number;
  padB: number;
  padC: number;
  broadcastB: boolean;
  beta: number;
}

/**
 * Runs `backend` on matrices inside wider rows and checks C against js on compact copies: the
 * products land in C's matrices, and every element between them keeps its value.
 */
function check(backend: Backend, t: Case, tol: number): void {
  const { batch, m, n, k, transA, transB } = t;
  const [ra, ca] = transA ? [k, m] : [m, k];
  const [rb, cb] = transB ? [n, k] : [k, n];
  const lda = ca + t.padA;
  const ldb = cb + t.padB;
  const ldc = n + t.padC;
  const strideA = ra * lda + 3;
  const strideB = t.broadcastB ? 0 : rb * ldb + 1;
  const strideC = m * ldc + 2;
  const a = rand((batch - 1) * strideA + ra * lda, 1);
  const b = rand((t.broadcastB ? 0 : (batch - 1) * strideB) + rb * ldb, 2);
  const c0 = rand((batch - 1) * strideC + m * ldc, 3);
  const got = c0.slice();
  const args: GemmArgs = {
    batch,
    m,
    n,
    k,
    transA,
    transB,
    strideA,
    strideB,
    strideC,
    alpha: 0.5,
    beta: t.beta,
    lda,
    ldb,
    ldc,
  };
  backend.gemm(a, b, got, args);
  const want = compact(c0, batch, strideC, m, n, ldc);
  jsBackend.gemm(
    compact(a, batch, strideA, ra, ca, lda),
    compact(b, t.broadcastB ? 1 : batch, strideB, rb, cb, ldb),
    want,
    {
      ...args,
      strideA: ra * ca,
      strideB: t.broadcastB ? 0 : rb * cb,
      strideC: m * n,
      lda: undefined,
      ldb: undefined,
      ldc: undefined,
    },
  );
  const inside = compact(got, batch, strideC, m, n, ldc);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(inside[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      expect.fail(`${backend.name} ${JSON.stringify(t)}: element ${i} ${inside[i]} vs ${want[i]}`);
    }
  }
  // Elements outside C's matrices are untouched.
  const mark = new Uint8Array(got.length);
  for (let i = 0; i < batch; i++) {
    for (let r = 0; r < m; r++) mark.fill(1, i * strideC + r * ldc, i * strideC + r * ldc + n);
  }
  for (let i = 0; i < got.length; i++) if (!mark[i]) expect(got[i]).toBe(c0[i]);
}

const CASES: Case[] = [];
for (const transA of [false, true]) {
  for (const transB of [false, true]) {
    CASES.push(
      {
        batch: 3,
        m: 13,
        n: 9,
        k: 17,
        transA,
        transB,
        padA: 5,
        padB: 0,
        padC: 7,
        broadcastB: false,
        beta: 0,
      },
      {
        batch: 2,
        m: 40,
        n: 33,
        k: 70,
        transA,
        transB,
        padA: 0,
        padB: 11,
        padC: 0,
        broadcastB: true,
        beta: 1,
      },
    );
  }
}

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await createWasmBackend({ threads: 2 });
});
afterAll(() => wasm.dispose());

describe('gemm with leading dimensions', () => {
  it.each(CASES)('js, wasm and blas agree with compact js: %j', (t) => {
    check(jsBackend, t, 1e-12);
    check(wasm, t, 1e-5);
    if (blasAvailable()) {
      const blas = createBlasBackend({ threads: 1 });
      check(blas, t, 1e-5);
    }
  });

  it('rejects a leading dimension below the row length, and matrices of C that overlap', () => {
    const a = new Float32Array(100);
    const args: GemmArgs = {
      batch: 1,
      m: 4,
      n: 4,
      k: 4,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      alpha: 1,
      beta: 0,
      lda: 3,
    };
    expect(() => wasm.gemm(a, a, new Float32Array(16), args)).toThrow(
      /lda must be an integer >= the row length 4, got 3/,
    );
    const overlapping = { ...args, lda: 8, batch: 2, strideC: 4, ldc: 8 };
    expect(() => wasm.gemm(a, a, new Float32Array(100), overlapping)).toThrow(ShapeError);
    if (blasAvailable()) {
      const blas = createBlasBackend({ threads: 1 });
      expect(() => blas.gemm(a, a, new Float32Array(16), args)).toThrow(ShapeError);
      // Too short for the rows ld apart: the TS check names the span, before C sees it.
      expect(() => blas.gemm(a, a, new Float32Array(16), { ...args, lda: 40 })).toThrow(
        /'a' has 100 elements/,
      );
    }
  });

  it.skipIf(!blasAvailable())('checks leading dimensions in C too', () => {
    const load = loadAddon();
    if (!('addon' in load)) return;
    const x = new Float32Array(16);
    const call = (lda: number, len: number) => () =>
      load.addon.gemm(
        new Float32Array(len),
        x,
        x.slice(),
        1,
        4,
        4,
        4,
        false,
        false,
        0,
        0,
        0,
        1,
        0,
        lda,
        4,
        4,
      );
    expect(call(3, 100)).toThrow(RangeError);
    expect(call(40, 100)).toThrow(/argument 'a' has 100 elements, the shapes and strides need 124/);
    expect(call(8, 28)).not.toThrow();
  });
});
