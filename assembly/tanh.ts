// tanh for float32 arrays and its backward, bit for bit the js backend's float32 tanh: the same
// rational minimax approximation (Eigen's ptanh_float, odd degree 13 over even degree 6) on x
// clamped to +-TANH_CLAMP, evaluated in float64 with the same operations in the same order and
// rounded to float32 once at the end, two lanes at a time (f64x2). A float32 evaluation (f32x4)
// would be about twice as fast again but round differently from the js reference, and every
// seeded RL result that uses a tanh network would move.

const TANH_CLAMP: f64 = 7.905311107635498;
const A1: f64 = 4.89352455891786e-3;
const A3: f64 = 6.37261928875436e-4;
const A5: f64 = 1.48572235717979e-5;
const A7: f64 = 5.12229709037114e-8;
const A9: f64 = -8.60467152213735e-11;
const A11: f64 = 2.00018790482477e-13;
const A13: f64 = -2.76076847742355e-16;
const B0: f64 = 4.89352518554385e-3;
const B2: f64 = 2.268434632439e-3;
const B4: f64 = 1.18534705686654e-4;
const B6: f64 = 1.19825839466702e-6;

/** out[i] = tanh(x[i]) for n float32 values; out may be x. */
export function tanhForward(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 2;
    const v = f64x2.promote_low_f32x4(v128.load64_zero(x + o));
    v128.store64_lane(out + o, f32x4.demote_f64x2_zero(tanhPair(v)), 0);
  }
  if (i < n) {
    const o = (<usize>i) << 2;
    const v = f64x2.splat(<f64>load<f32>(x + o));
    store<f32>(out + o, <f32>f64x2.extract_lane(tanhPair(v), 0));
  }
}

/** dx[i] = dy[i] * (1 - y[i]^2) for n float32 values, y = tanh(x); dx may be dy or y. */
export function tanhBackward(y: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  const one = f64x2.splat(1);
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 2;
    const yv = f64x2.promote_low_f32x4(v128.load64_zero(y + o));
    const g = f64x2.promote_low_f32x4(v128.load64_zero(dy + o));
    const d = f64x2.mul(g, f64x2.sub(one, f64x2.mul(yv, yv)));
    v128.store64_lane(dx + o, f32x4.demote_f64x2_zero(d), 0);
  }
  if (i < n) {
    const o = (<usize>i) << 2;
    const yv = <f64>load<f32>(y + o);
    store<f32>(dx + o, <f32>(<f64>load<f32>(dy + o) * (1 - yv * yv)));
  }
}

/**
 * The rational approximation on two float64 lanes. pmax(v, -C) is v < -C ? -C : v and
 * pmin(c, C) is C < c ? C : c, the js clamp exactly: NaN fails both tests and stays NaN.
 */
function tanhPair(v: v128): v128 {
  const c = f64x2.pmin(f64x2.pmax(v, f64x2.splat(-TANH_CLAMP)), f64x2.splat(TANH_CLAMP));
  const c2 = f64x2.mul(c, c);
  let p = f64x2.add(f64x2.splat(A11), f64x2.mul(c2, f64x2.splat(A13)));
  p = f64x2.add(f64x2.splat(A9), f64x2.mul(c2, p));
  p = f64x2.add(f64x2.splat(A7), f64x2.mul(c2, p));
  p = f64x2.add(f64x2.splat(A5), f64x2.mul(c2, p));
  p = f64x2.add(f64x2.splat(A3), f64x2.mul(c2, p));
  p = f64x2.add(f64x2.splat(A1), f64x2.mul(c2, p));
  const num = f64x2.mul(c, p);
  let q = f64x2.add(f64x2.splat(B4), f64x2.mul(c2, f64x2.splat(B6)));
  q = f64x2.add(f64x2.splat(B2), f64x2.mul(c2, q));
  q = f64x2.add(f64x2.splat(B0), f64x2.mul(c2, q));
  return f64x2.div(num, q);
}
