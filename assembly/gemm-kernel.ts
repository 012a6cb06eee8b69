// The GEMM micro-kernel: an MR x 8 tile of C held in 2 MR f32x4 registers while one packed A
// sliver (MR rows, k-major) and one packed B sliver (8 columns, k-major) stream past.
//
// Two builds (scripts/build-kernels.mjs): baseline SIMD, and relaxed SIMD, whose
// f32x4.relaxed_madd is one fused multiply-add (vfmadd231ps) on FMA hardware.
//
// Baseline, 5x8: V8 on x64 allocates SIMD values to xmm0-xmm14 only. A tile of R x 8 needs 2R
// accumulators + 2 B vectors + 1 broadcast A + 1 product temp (no fused multiply-add). 5x8 needs
// 14 registers; 6x8 and 4x12 need 16-17 and spill to the stack, which measured at 28 GFLOP/s
// against 51 for 5x8 and 43 for 4x8 (kc = 256, data in L1, one Zen 5 core). At 5x8 each k step
// is 10 mul + 10 add on the two FP multiply and two FP add pipes.
//
// Relaxed, 6x8: with no product temp, 6x8 takes 12 accumulators + 2 B + 1 A = 15 registers,
// all of xmm0-xmm14. On Zen 5 fused multiply-adds issue on the same two pipes as multiplies, so
// FMA alone does not raise the peak (2 x 4 products per cycle either way; 5x8 with FMA measured
// within noise of 5x8 without); the larger tile does: one B load and one C tile update serve
// 6 rows instead of 5, and the kernel ran at ~52 GFLOP/s (the 128-bit FMA peak measured with
// independent chains) against ~44-47 for 5x8 (kc = 384, data in L1, CPU time, one core).
//
// The loop body must stay one k step: unrolling it by two let Binaryen interleave the two steps
// and V8 spilled accumulators (32 GFLOP/s).

export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
export const NR: i32 = 8;

function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * C[0..MR, 0..8] (row stride ldc bytes) = or += A (kc x MR) times B (kc x 8), where step p of A
 * is the MR floats at pa + p sa and step p of B the 8 floats at pb + p sb (bytes): packed
 * slivers have sa = 4 MR and sb = 32; small unpacked operands whose MR or 8 values per step are
 * contiguous pass their row stride instead (gemm.ts). A register stride costs the loop no extra
 * instruction over an immediate one. kc >= 1. accumulate: add to C instead of overwriting it.
 */
export function kernelTile(
  pa: usize,
  sa: usize,
  pb: usize,
  sb: usize,
  kc: i32,
  c: usize,
  ldc: usize,
  accumulate: bool,
): void {
  if (MR == 6) kernel6x8(pa, sa, pb, sb, kc, c, ldc, accumulate);
  else kernel5x8(pa, sa, pb, sb, kc, c, ldc, accumulate);
}

/**
 * The accumulators start from C, masked to zero when overwriting, so no branch follows the
 * loop: with an `if (accumulate)` after it, TurboFan's register allocator spilled accumulators
 * inside the loop and the kernel ran at 21 GFLOP/s instead of 48. (The masked load reads C even
 * when overwriting; the bitwise AND clears whatever is there, NaN bit patterns included.)
 */
function kernel5x8(
  pa: usize,
  sa: usize,
  pb: usize,
  sb: usize,
  kc: i32,
  c: usize,
  ldc: usize,
  accumulate: bool,
): void {
  const keep = i32x4.splat(accumulate ? -1 : 0);
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  const c4 = c3 + ldc;
  let c00 = v128.and(v128.load(c), keep);
  let c01 = v128.and(v128.load(c, 16), keep);
  let c10 = v128.and(v128.load(c1), keep);
  let c11 = v128.and(v128.load(c1, 16), keep);
  let c20 = v128.and(v128.load(c2), keep);
  let c21 = v128.and(v128.load(c2, 16), keep);
  let c30 = v128.and(v128.load(c3), keep);
  let c31 = v128.and(v128.load(c3, 16), keep);
  let c40 = v128.and(v128.load(c4), keep);
  let c41 = v128.and(v128.load(c4, 16), keep);
  const end = pb + <usize>kc * sb;
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    a = v128.load32_splat(pa, 16);
    c40 = madd(c40, a, b0);
    c41 = madd(c41, a, b1);
    pa += sa;
    pb += sb;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c1, c10);
  v128.store(c1, c11, 16);
  v128.store(c2, c20);
  v128.store(c2, c21, 16);
  v128.store(c3, c30);
  v128.store(c3, c31, 16);
  v128.store(c4, c40);
  v128.store(c4, c41, 16);
}

/** kernel5x8 with a sixth row, for the relaxed build (see the top of this file). */
function kernel6x8(
  pa: usize,
  sa: usize,
  pb: usize,
  sb: usize,
  kc: i32,
  c: usize,
  ldc: usize,
  accumulate: bool,
): void {
  const keep = i32x4.splat(accumulate ? -1 : 0);
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  const c4 = c3 + ldc;
  const c5 = c4 + ldc;
  let c00 = v128.and(v128.load(c), keep);
  let c01 = v128.and(v128.load(c, 16), keep);
  let c10 = v128.and(v128.load(c1), keep);
  let c11 = v128.and(v128.load(c1, 16), keep);
  let c20 = v128.and(v128.load(c2), keep);
  let c21 = v128.and(v128.load(c2, 16), keep);
  let c30 = v128.and(v128.load(c3), keep);
  let c31 = v128.and(v128.load(c3, 16), keep);
  let c40 = v128.and(v128.load(c4), keep);
  let c41 = v128.and(v128.load(c4, 16), keep);
  let c50 = v128.and(v128.load(c5), keep);
  let c51 = v128.and(v128.load(c5, 16), keep);
  const end = pb + <usize>kc * sb;
  while (pb < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    a = v128.load32_splat(pa, 16);
    c40 = madd(c40, a, b0);
    c41 = madd(c41, a, b1);
    a = v128.load32_splat(pa, 20);
    c50 = madd(c50, a, b0);
    c51 = madd(c51, a, b1);
    pa += sa;
    pb += sb;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c1, c10);
  v128.store(c1, c11, 16);
  v128.store(c2, c20);
  v128.store(c2, c21, 16);
  v128.store(c3, c30);
  v128.store(c3, c31, 16);
  v128.store(c4, c40);
  v128.store(c4, c41, 16);
  v128.store(c5, c50);
  v128.store(c5, c51, 16);
}

/**
 * A partial tile (mr < MR or nr < 8 at the matrix edge): the kernel writes the full tile to a
 * scratch tile, then the valid part is copied to C. The lanes beyond mr or nr (zero padding in a
 * packed sliver, the next values of an unpacked operand) only reach the part not copied. Up to 4
 * columns (a linear layer with 2 or 4 outputs, its weight gradient) take the half-width kernel.
 */
export function kernelEdge(
  pa: usize,
  sa: usize,
  pb: usize,
  sb: usize,
  kc: i32,
  c: usize,
  ldc: usize,
  accumulate: bool,
  mr: i32,
  nr: i32,
  tile: usize,
): void {
  if (nr <= 4) kernelTileHalf(pa, sa, pb, sb, kc, tile, <usize>(NR << 2));
  else kernelTile(pa, sa, pb, sb, kc, tile, <usize>(NR << 2), false);
  for (let i = 0; i < mr; i++) {
    const src = tile + <usize>(i * NR * 4);
    const dst = c + <usize>i * ldc;
    for (let j = 0; j < nr; j++) {
      const off = <usize>(j << 2);
      const v = load<f32>(src + off);
      store<f32>(dst + off, accumulate ? load<f32>(dst + off) + v : v);
    }
  }
}

/**
 * The left half of kernelTile (the first 4 lanes of each B step) for edge tiles of at most 4
 * columns, overwriting C: half the arithmetic, and per lane the same operations in the same
 * order, so the same bits. Rows 0..MR-1 (the sixth only in the relaxed build).
 */
function kernelTileHalf(
  pa: usize,
  sa: usize,
  pb: usize,
  sb: usize,
  kc: i32,
  c: usize,
  ldc: usize,
): void {
  let c0 = f32x4.splat(0);
  let c1 = f32x4.splat(0);
  let c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0);
  let c5 = f32x4.splat(0);
  const end = pb + <usize>kc * sb;
  while (pb < end) {
    const b0 = v128.load(pb);
    c0 = madd(c0, v128.load32_splat(pa), b0);
    c1 = madd(c1, v128.load32_splat(pa, 4), b0);
    c2 = madd(c2, v128.load32_splat(pa, 8), b0);
    c3 = madd(c3, v128.load32_splat(pa, 12), b0);
    c4 = madd(c4, v128.load32_splat(pa, 16), b0);
    if (MR == 6) c5 = madd(c5, v128.load32_splat(pa, 20), b0);
    pa += sa;
    pb += sb;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
  v128.store(c + 4 * ldc, c4);
  if (MR == 6) v128.store(c + 5 * ldc, c5);
}
