// Vectorized float32 transcendental functions for the row and pointwise kernels.

// exp: Cephes expf. x = n ln2 + r with |r| <= ln2/2 (ln2 split in two so n*ln2 is exact), a
// degree-5 polynomial for (e^r - 1 - r) / r^2, then 2^n is built in the exponent bits.
// Max relative error ~1 ulp on [-87.3, 88.3]; below that the result is 0 (the float32 denormal
// range is not produced), above it +Infinity; NaN stays NaN.
//
// n is rounded by adding 1.5 * 2^23, which leaves round(x log2 e) in the low mantissa bits of
// t: (bits(t) + 127) << 23 is then 2^n directly (the magic's own bits shift out). This saves
// V8's multi-instruction nearest + trunc_sat sequences.
const EXP_LO: f32 = -87.33654475; // ln(FLT_MIN): 2^n stays a normal number
const EXP_HI: f32 = 88.37626266; // n = round(x log2 e) <= 127
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.1219444e-4;
const ROUND_MAGIC: f32 = 12582912; // 1.5 * 2^23
// The tanh GELU's (pointwise.ts).
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;

// V8 (11.x, x64) rebuilds a v128.const at every use, inside loops too, from general registers
// (3-4 instructions each), and Binaryen folds every splat of a constant into a v128.const. The
// constants of the hot loops are therefore read from this table: v128.load32_splat is one
// instruction (vbroadcastss), and no optimizer can fold a load from shared memory.
const CONSTS = memory.data<f32>(
  [
    EXP_LO,
    EXP_HI,
    LOG2E,
    ROUND_MAGIC,
    LN2_HI,
    LN2_LO,
    1.98756915e-4,
    1.3981999507e-3,
    8.3334519073e-3,
    4.1665795894e-2,
    1.6666665459e-1,
    5.0000001201e-1,
    1,
    Infinity,
    SQRT_2_OVER_PI,
    GELU_C,
    -2,
    3 * GELU_C,
  ],
  16,
);
const INT_CONSTS = memory.data<i32>([127], 16);

export const K_ONE = 12;
export const K_SQRT_2_OVER_PI = 14;
export const K_GELU_C = 15;
export const K_MINUS_2 = 16;
export const K_GELU_3C = 17;

/** Constant i of the table above in every lane. */
export function kv(i: i32): v128 {
  return v128.load32_splat(CONSTS + ((<usize>i) << 2));
}

export function expv(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, kv(0)), kv(1));
  const t = f32x4.add(f32x4.mul(xc, kv(2)), kv(3));
  const n = f32x4.sub(t, kv(3));
  let r = f32x4.sub(xc, f32x4.mul(n, kv(4)));
  r = f32x4.sub(r, f32x4.mul(n, kv(5)));
  let p = kv(6);
  p = f32x4.add(f32x4.mul(p, r), kv(7));
  p = f32x4.add(f32x4.mul(p, r), kv(8));
  p = f32x4.add(f32x4.mul(p, r), kv(9));
  p = f32x4.add(f32x4.mul(p, r), kv(10));
  p = f32x4.add(f32x4.mul(p, r), kv(11));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), kv(K_ONE));
  const scale = i32x4.shl(i32x4.add(t, v128.load32_splat(INT_CONSTS)), 23);
  const y = f32x4.mul(p, scale);
  const under = f32x4.lt(x, kv(0));
  const over = f32x4.gt(x, kv(1));
  return v128.bitselect(kv(13), v128.andnot(y, under), over);
}

/** expv on one float (row tails), so tails round exactly like the vector body. */
export function exp1(x: f32): f32 {
  return f32x4.extract_lane(expv(f32x4.splat(x)), 0);
}

// exp(-x^2 / 2) to a few ulp: -x^2 / 2 is split as hi + lo, hi = -xh^2 / 2 and
// lo = -(x - xh)(x + xh) / 2 with xh = x cut to 12 significant bits, so hi is exact in float32
// and only the small lo rounds; exp(-x^2 / 2) = exp(hi) exp(lo). (Rounding x^2 / 2 directly
// costs |x^2 / 2| eps relative: 260 ulp at x = -12.)

export function negHalfSquareHi(x: v128): v128 {
  const xh = v128.and(x, i32x4.splat(0xfffff000));
  return f32x4.mul(f32x4.mul(xh, xh), f32x4.splat(-0.5));
}

export function negHalfSquareLo(x: v128): v128 {
  const xh = v128.and(x, i32x4.splat(0xfffff000));
  return f32x4.mul(f32x4.mul(f32x4.sub(x, xh), f32x4.add(x, xh)), f32x4.splat(-0.5));
}

// The normal CDF Phi(x) = erfc(-x / sqrt 2) / 2 from the Chebyshev fit of erfc in Numerical
// Recipes (erfcc), relative error < 1.2e-7 for z >= 0: Phi keeps float32 relative accuracy in
// the far left tail, where 1 + erf(x / sqrt 2) would cancel.
//   erfc(z) = t exp(-z^2 + P(t)),  t = 1 / (1 + z / 2),  z = |x| / sqrt 2,  -z^2 = hi + lo
const SQRT1_2: f32 = 0.70710678118654752;

/** Phi(x), given expHi = exp(negHalfSquareHi(x)) and lo = negHalfSquareLo(x). */
export function normalCdfv(x: v128, expHi: v128, lo: v128): v128 {
  const z = f32x4.mul(f32x4.abs(x), f32x4.splat(SQRT1_2));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(z, f32x4.splat(0.5))));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  // half = erfc(|x| / sqrt 2) / 2 = Phi(-|x|)
  const half = f32x4.mul(f32x4.mul(t, f32x4.mul(expHi, expv(f32x4.add(p, lo)))), f32x4.splat(0.5));
  return v128.bitselect(f32x4.sub(f32x4.splat(1), half), half, f32x4.ge(x, f32x4.splat(0)));
}
