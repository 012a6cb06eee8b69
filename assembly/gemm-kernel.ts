// The GEMM micro-kernel: a 5x8 tile of C held in ten f32x4 registers while one packed A sliver
// (5 rows, k-major) and one packed B sliver (8 columns, k-major) stream past.
//
// Why 5x8: wasm SIMD is 128-bit and V8 on x64 allocates SIMD values to xmm0-xmm14 only. A
// tile of R x 8 needs 2R accumulators + 2 B vectors + 1 broadcast A + 1 product temp (there is
// no fused multiply-add in baseline wasm SIMD). 5x8 needs 14 registers; 6x8 and 4x12 need 16-17
// and spill to the stack, which measured at 28 GFLOP/s against 51 for 5x8 and 43 for 4x8
// (kc = 256, data in L1, one Zen 5 core). At 5x8 each k step is 10 mul + 10 add, which saturates
// the two FP multiply and two FP add pipes, so the kernel runs at the core's 128-bit peak.
//
// The loop body must stay one k step: unrolling it by two let Binaryen interleave the two steps
// and V8 spilled accumulators (32 GFLOP/s).

export const MR: i32 = 5;
export const NR: i32 = 8;

function madd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * C[0..5, 0..8] (row stride ldc bytes) = or += A (kc x 5) times B (kc x 8), where step p of A
 * is the 5 floats at pa + p sa and step p of B the 8 floats at pb + p sb (bytes): packed
 * slivers have sa = 20 and sb = 32; small unpacked operands whose 5 or 8 values per step are
 * contiguous pass their row stride instead (gemm.ts). A register stride costs the loop no extra
 * instruction over an immediate one. kc >= 1. accumulate: add to C instead of overwriting it.
 *
 * The accumulators start from C, masked to zero when overwriting, so no branch follows the
 * loop: with an `if (accumulate)` after it, TurboFan's register allocator spilled accumulators
 * inside the loop and the kernel ran at 21 GFLOP/s instead of 48. (The masked load reads C even
 * when overwriting; the bitwise AND clears whatever is there, NaN bit patterns included.)
 */
export function kernel5x8(
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

/**
 * A partial tile (mr < 5 or nr < 8 at the matrix edge): the kernel writes the full tile to a
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
  if (nr <= 4) kernel5x4(pa, sa, pb, sb, kc, tile, <usize>(NR << 2));
  else kernel5x8(pa, sa, pb, sb, kc, tile, <usize>(NR << 2), false);
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
 * The left half of kernel5x8 (the first 4 lanes of each B step) for edge tiles of at most 4
 * columns, overwriting C: half the arithmetic, and per lane the same operations in the same
 * order, so the same bits.
 */
function kernel5x4(
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
  const end = pb + <usize>kc * sb;
  while (pb < end) {
    const b0 = v128.load(pb);
    c0 = madd(c0, v128.load32_splat(pa), b0);
    c1 = madd(c1, v128.load32_splat(pa, 4), b0);
    c2 = madd(c2, v128.load32_splat(pa, 8), b0);
    c3 = madd(c3, v128.load32_splat(pa, 12), b0);
    c4 = madd(c4, v128.load32_splat(pa, 16), b0);
    pa += sa;
    pb += sb;
  }
  v128.store(c, c0);
  v128.store(c + ldc, c1);
  v128.store(c + 2 * ldc, c2);
  v128.store(c + 3 * ldc, c3);
  v128.store(c + 4 * ldc, c4);
}
