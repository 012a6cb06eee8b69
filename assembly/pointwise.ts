// Pointwise kernels: GELU (exact and tanh), its backward, and the fused Adam/AdamW step.

import {
  expv,
  K_GELU_3C,
  K_GELU_C,
  K_MINUS_2,
  K_ONE,
  K_SQRT_2_OVER_PI,
  kv,
  negHalfSquareHi,
  negHalfSquareLo,
  normalCdfv,
} from './vmath';

const INV_SQRT_2PI: f32 = 0.3989422804014327;

// The tanh form uses 0.5 (1 + tanh u) = sigmoid(2u) = s = 1 / (1 + exp(-2u)): one exp, and
// unlike 1 + tanh(u) it keeps its relative accuracy for very negative u (to ~|2u| eps, from
// rounding u). Its backward uses 1 - tanh(u)^2 = 4 s (1 - s), with 1 - s = exp(-2u) s (no
// cancellation; 1 where exp(-2u) overflowed and s is 0). Results below FLT_MIN flush to 0.
//
// Each form has one loop serving forward (dy = 0) and backward, stepping 4 lanes at a time with
// a partial last step, so every vector helper has a single call site and Binaryen inlines it.
// (AssemblyScript's @inline decorator would do that too, but it is not TypeScript syntax and the
// repository's formatter must parse these files.)

/** gelu(x) when dy is 0, else dy * gelu'(x); tanh form. */
function tanhGeluMap(x: usize, dy: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    const rest = n - i;
    const v = rest >= 4 ? v128.load(x + o) : loadPartial(x + o, rest);
    const v2 = f32x4.mul(v, v);
    const u = f32x4.mul(
      kv(K_SQRT_2_OVER_PI),
      f32x4.add(v, f32x4.mul(kv(K_GELU_C), f32x4.mul(v, v2))),
    );
    const e = expv(f32x4.mul(u, kv(K_MINUS_2)));
    const s = f32x4.div(kv(K_ONE), f32x4.add(kv(K_ONE), e));
    let y: v128;
    if (dy == 0) {
      y = f32x4.mul(v, s);
    } else {
      const du = f32x4.mul(
        kv(K_SQRT_2_OVER_PI),
        f32x4.add(kv(K_ONE), f32x4.mul(kv(K_GELU_3C), v2)),
      );
      // pmin(1, NaN) is 1: e = Infinity makes e s NaN, and then 1 - s = 1.
      const oneMinusS = f32x4.pmin(kv(K_ONE), f32x4.mul(e, s));
      // s + 2 v s (1 - s) du = s (1 + 2 v (1 - s) du)
      const grad = f32x4.mul(
        s,
        f32x4.add(kv(K_ONE), f32x4.mul(f32x4.mul(f32x4.add(v, v), oneMinusS), du)),
      );
      const d = rest >= 4 ? v128.load(dy + o) : loadPartial(dy + o, rest);
      y = f32x4.mul(d, grad);
    }
    if (rest >= 4) v128.store(out + o, y);
    else storePartial(out + o, y, rest);
  }
}

/** gelu(x) = x Phi(x) when dy is 0, else dy * (Phi(x) + x phi(x)); exact form. */
function erfGeluMap(x: usize, dy: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    const rest = n - i;
    const v = rest >= 4 ? v128.load(x + o) : loadPartial(x + o, rest);
    const expHi = expv(negHalfSquareHi(v));
    const lo = negHalfSquareLo(v);
    const cdf = normalCdfv(v, expHi, lo);
    let y: v128;
    if (dy == 0) {
      y = f32x4.mul(v, cdf);
    } else {
      const pdf = f32x4.mul(f32x4.mul(expHi, expv(lo)), f32x4.splat(INV_SQRT_2PI));
      const grad = f32x4.add(cdf, f32x4.mul(v, pdf));
      const d = rest >= 4 ? v128.load(dy + o) : loadPartial(dy + o, rest);
      y = f32x4.mul(d, grad);
    }
    if (rest >= 4) v128.store(out + o, y);
    else storePartial(out + o, y, rest);
  }
}

/** The first `count` (< 4) floats at p as a vector; other lanes 0. */
function loadPartial(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

function storePartial(p: usize, v: v128, count: i32): void {
  if (count > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** out = gelu(x) over n floats; approximate 1 = tanh form, 0 = exact (erf). */
export function gelu(x: usize, out: usize, n: i32, approximate: i32): void {
  if (approximate != 0) tanhGeluMap(x, 0, out, n);
  else erfGeluMap(x, 0, out, n);
}

/** dx = dy * gelu'(x) over n floats. dy is never at address 0 (JS places operands higher). */
export function geluBackward(x: usize, dy: usize, dx: usize, n: i32, approximate: i32): void {
  if (approximate != 0) tanhGeluMap(x, dy, dx, n);
  else erfGeluMap(x, dy, dx, n);
}

/**
 * One Adam/AdamW step over n floats, in place on p, m, v. The scalars come from the caller in
 * float64-derived form (1 - beta, lr / (1 - beta1^t), sqrt(1 - beta2^t), 1 - lr wd) so only the
 * per-element arithmetic is float32.
 */
export function adamStep(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  eps: f32,
  l2: f32,
  decay: f32,
  stepSize: f32,
  sqrtBc2: f32,
): void {
  const vb1 = f32x4.splat(beta1);
  const vc1 = f32x4.splat(oneMinusBeta1);
  const vb2 = f32x4.splat(beta2);
  const vc2 = f32x4.splat(oneMinusBeta2);
  const veps = f32x4.splat(eps);
  const vl2 = f32x4.splat(l2);
  const vdecay = f32x4.splat(decay);
  const vstep = f32x4.splat(stepSize);
  const vinvBc2 = f32x4.splat(1 / sqrtBc2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    const pi = v128.load(p + o);
    const gi = f32x4.add(v128.load(g + o), f32x4.mul(vl2, pi));
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vi), vinvBc2), veps);
    v128.store(p + o, f32x4.sub(f32x4.mul(pi, vdecay), f32x4.div(f32x4.mul(vstep, mi), denom)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const pi = load<f32>(p + o);
    const gi = load<f32>(g + o) + l2 * pi;
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * gi;
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi * decay - (stepSize * mi) / (Mathf.sqrt(vi) * (1 / sqrtBc2) + eps));
  }
}
