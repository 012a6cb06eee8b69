// Blocked, multithreaded SGEMM (BLIS loop order):
//   jc over n by NC -> pc over k by KC (pack B) -> ic over m by MC (pack A) -> jr by NR -> ir by MR
// The packed B sliver (KC x 8) stays in L1 while packed A slivers stream from the L2-resident
// A block, and each C tile is loaded/stored once per KC-deep pass.
//
// Block sizes for a Zen-class core (48 KB L1d, 1 MB L2): KC = 384 keeps the B sliver (12 KB)
// and an A sliver (7.5 KB, 9 KB for the relaxed build's 6-row tile) in L1 and amortizes each C tile's load/store over 384 k steps;
// MC = 120 (24 or 20 slivers; a multiple of both MRs) keeps the A block at 180 KB in L2; NC = 2048 bounds the packed B panel
// at 3 MB per thread. Without copies, every KC in {256, 384, 512} x MC in {60, 120, 240} ran
// within noise of the kernel's own 48-51 GFLOP/s at 1024^3 on one core, so these are chosen
// for headroom on smaller caches (32 KB L1d, 512 KB L2) rather than measured to the last %.

import { MR, NR, kernelEdge, kernelTile } from './gemm-kernel';
import { packA, packB } from './gemm-pack';

const KC: i32 = 384;
const MC: i32 = 120;
const NC: i32 = 2048;
const CHUNKS_PER_THREAD: i32 = 2;
/** Operands up to this many floats (32 KB, an L1d) are read in place instead of packed. */
const DIRECT_FLOATS: i32 = 8192;

const PACK_A_BYTES: usize = <usize>(MC * KC * 4);
const PACK_B_BYTES: usize = <usize>(NC * KC * 4);
const TILE_BYTES: usize = <usize>(MR * NR * 4);

/** Bytes of scratch each thread needs: packed A block, packed B panel, one edge tile. */
export function gemmScratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

// Job slots in the control block (byte offsets; src/core/backend/wasm/layout.ts mirrors them).
const ACTIVE: usize = 16;
const A: usize = 32;
const B: usize = 36;
const C: usize = 40;
const BATCH: usize = 44;
const M: usize = 48;
const N: usize = 52;
const K: usize = 56;
const TRANS_A: usize = 60;
const TRANS_B: usize = 64;
const STRIDE_A: usize = 68;
const STRIDE_B: usize = 72;
const STRIDE_C: usize = 76;
const ALPHA: usize = 80;
const BETA: usize = 84;
const SCRATCH: usize = 88;
const SCRATCH_STRIDE: usize = 92;
const NEXT: usize = 96;

/**
 * Runs thread tid's share of the GEMM described in the control block at ctl. Threads claim
 * disjoint parts of C from a shared counter, so no thread waits on another: whole matrices of
 * the batch when there are enough of them, otherwise column (or row) ranges of each one.
 */
export function gemmRun(ctl: usize, tid: i32): void {
  const nthreads = load<i32>(ctl + ACTIVE);
  const a = load<usize>(ctl + A);
  const b = load<usize>(ctl + B);
  const c = load<usize>(ctl + C);
  const batch = load<i32>(ctl + BATCH);
  const m = load<i32>(ctl + M);
  const n = load<i32>(ctl + N);
  const k = load<i32>(ctl + K);
  const transA = load<i32>(ctl + TRANS_A) != 0;
  const transB = load<i32>(ctl + TRANS_B) != 0;
  const sa = load<usize>(ctl + STRIDE_A) << 2;
  const sb = load<usize>(ctl + STRIDE_B) << 2;
  const sc = load<usize>(ctl + STRIDE_C) << 2;
  const alpha = load<f32>(ctl + ALPHA);
  const beta = load<f32>(ctl + BETA);
  const scratch = load<usize>(ctl + SCRATCH) + <usize>tid * load<usize>(ctl + SCRATCH_STRIDE);

  // Splitting the batch needs disjoint C matrices (strideC 0 accumulates into one C, in order).
  const disjoint = sc >= (<usize>m * <usize>n) << 2;
  const byBatch = disjoint && batch >= nthreads && (batch % nthreads == 0 || batch >= 4 * nthreads);
  if (byBatch) {
    for (let i = claim(ctl); i < batch; i = claim(ctl)) {
      const o = <usize>i;
      gemm2d(
        a + o * sa,
        b + o * sb,
        c + o * sc,
        m,
        n,
        k,
        transA,
        transB,
        alpha,
        beta,
        0,
        m,
        0,
        n,
        scratch,
      );
    }
    return;
  }
  // Otherwise each matrix splits into NR-wide column ranges (or MR-tall row ranges when m > n),
  // CHUNKS_PER_THREAD per thread, claimed one at a time: on a loaded machine a thread that was
  // descheduled takes fewer chunks instead of the others waiting for its fixed half. Each chunk
  // packs the other operand again; at two per thread that costs ~1-3% at 256..1024.
  const byCols = n >= m;
  const extent = byCols ? n : m;
  const step = byCols ? NR : MR;
  const tiles = (extent + step - 1) / step;
  const chunks = min(tiles, nthreads == 1 ? 1 : CHUNKS_PER_THREAD * nthreads);
  for (let u = claim(ctl); u < chunks; u = claim(ctl)) {
    const t0 = min(extent, <i32>((<i64>tiles * u) / chunks) * step);
    const t1 = min(extent, <i32>((<i64>tiles * (u + 1)) / chunks) * step);
    if (t0 >= t1) continue;
    const m0 = byCols ? 0 : t0;
    const m1 = byCols ? m : t1;
    const n0 = byCols ? t0 : 0;
    const n1 = byCols ? t1 : n;
    // All matrices of the batch, in order, for this chunk: with strideC 0 they accumulate into
    // the same C range, which no other chunk touches.
    for (let i = 0; i < batch; i++) {
      const o = <usize>i;
      gemm2d(
        a + o * sa,
        b + o * sb,
        c + o * sc,
        m,
        n,
        k,
        transA,
        transB,
        alpha,
        beta,
        m0,
        m1,
        n0,
        n1,
        scratch,
      );
    }
  }
}

/** The next unclaimed unit of the current job (the control block's counter, reset per job). */
function claim(ctl: usize): i32 {
  return atomic.add<i32>(ctl + NEXT, 1);
}

/** C[m0..m1, n0..n1] = alpha * op(A) op(B) + beta * C for one matrix of the batch. */
function gemm2d(
  a: usize,
  b: usize,
  c: usize,
  m: i32,
  n: i32,
  k: i32,
  transA: bool,
  transB: bool,
  alpha: f32,
  beta: f32,
  m0: i32,
  m1: i32,
  n0: i32,
  n1: i32,
  scratch: usize,
): void {
  const ldc = (<usize>n) << 2;
  if (k == 0 || alpha == 0) {
    scaleC(c, ldc, m0, m1, n0, n1, beta);
    return;
  }
  // beta 0 and 1 fold into the kernel's overwrite/accumulate store; any other beta scales C first.
  let accumulateFirst = beta != 0;
  if (beta != 0 && beta != 1) scaleC(c, ldc, m0, m1, n0, n1, beta);
  const pa = scratch;
  const pb = scratch + PACK_A_BYTES;
  const tile = pb + PACK_B_BYTES;
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  // Small operands whose kernel steps are contiguous skip packing: A stored [k, m] holds each
  // step's MR rows side by side, B stored [k, n] each step's 8 columns. Up to DIRECT_FLOATS the
  // whole operand stays in L1, so its row stride costs nothing; larger ones are packed, since
  // rows 4 KB apart would share L1 sets. alpha is folded into packed A, so A needs alpha 1. An
  // edge tile reads up to 7 floats past an operand's last row (the JS arena keeps 64 bytes
  // readable after every operand); those lanes land only in the part of the tile not stored.
  const directA = transA && alpha == 1 && <i64>m * <i64>k <= DIRECT_FLOATS;
  const directB = !transB && <i64>k * <i64>n <= DIRECT_FLOATS;
  const sa: usize = directA ? (<usize>lda) << 2 : <usize>(MR << 2);
  const sb: usize = directB ? (<usize>ldb) << 2 : <usize>(NR << 2);
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const accumulate = pc > 0 || accumulateFirst;
      if (!directB) packB(b, transB, ldb, jc, nc, pc, kc, pb);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        if (!directA) packA(a, transA, lda, ic, mc, pc, kc, alpha, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const sliverB = directB
            ? b + ((<usize>pc * <usize>ldb + <usize>(jc + jr)) << 2)
            : pb + ((<usize>(jr * kc)) << 2);
          const cCol = c + ((<usize>(jc + jr)) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const sliverA = directA
              ? a + ((<usize>pc * <usize>lda + <usize>(ic + ir)) << 2)
              : pa + ((<usize>(ir * kc)) << 2);
            const cTile = cCol + <usize>(ic + ir) * ldc;
            if (mr == MR && nr == NR) {
              kernelTile(sliverA, sa, sliverB, sb, kc, cTile, ldc, accumulate);
            } else {
              kernelEdge(sliverA, sa, sliverB, sb, kc, cTile, ldc, accumulate, mr, nr, tile);
            }
          }
        }
      }
    }
  }
}

/** C[m0..m1, n0..n1] *= beta (beta 0 writes zeros, so NaNs already in C do not survive). */
function scaleC(c: usize, ldc: usize, m0: i32, m1: i32, n0: i32, n1: i32, beta: f32): void {
  if (beta == 1) return;
  const vb = f32x4.splat(beta);
  for (let i = m0; i < m1; i++) {
    const row = c + <usize>i * ldc;
    let j = n0;
    for (; j + 4 <= n1; j += 4) {
      const p = row + ((<usize>j) << 2);
      v128.store(p, beta == 0 ? f32x4.splat(0) : f32x4.mul(v128.load(p), vb));
    }
    for (; j < n1; j++) {
      const p = row + ((<usize>j) << 2);
      store<f32>(p, beta == 0 ? 0 : load<f32>(p) * beta);
    }
  }
}
