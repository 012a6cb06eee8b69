// Row kernels: softmax, its backward, log-softmax, LayerNorm forward and backward. Each treats x
// as `rows` contiguous rows of `cols` floats. Row sums accumulate in f64x2 lanes like the js
// reference's doubles: float32 lane sums over a 50k-column (vocabulary) row may drift by up to
// cols / 4 ulps (~7e-4 relative), and the widening costs little next to exp.

import { expv, exp1 } from './vmath';

/** acc (f64x2) + the low two lanes of v (f32x4), widened. */
function addLo(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(v));
}
/** acc (f64x2) + the high two lanes of v (f32x4), widened. */
function addHi(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3)));
}

function hsum64(a: v128, b: v128): f64 {
  const s = f64x2.add(a, b);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** Row maximum ignoring NaN (like `x > max` in the reference); -Infinity for an all -Inf row. */
function rowMax(xr: usize, cols: i32): f32 {
  let vm = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= cols; j += 4) vm = f32x4.pmax(vm, v128.load(xr + ((<usize>j) << 2)));
  let mx: f32 = -Infinity;
  for (let l = 0; l < 4; l++) {
    const v = f32x4.extract_lane(vm, 0);
    if (v > mx) mx = v;
    vm = f32x4.shuffle(vm, vm, 1, 2, 3, 0);
  }
  for (; j < cols; j++) {
    const v = load<f32>(xr + ((<usize>j) << 2));
    if (v > mx) mx = v;
  }
  return mx;
}

/** Sum of exp(x - mx) over a row; when out != 0 the exponentials are also stored there. */
function expSum(xr: usize, out: usize, cols: i32, mx: f32): f64 {
  const vmx = f32x4.splat(mx);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = (<usize>j) << 2;
    const e = expv(f32x4.sub(v128.load(xr + o), vmx));
    if (out != 0) v128.store(out + o, e);
    s0 = addLo(s0, e);
    s1 = addHi(s1, e);
  }
  let sum = hsum64(s0, s1);
  for (; j < cols; j++) {
    const o = (<usize>j) << 2;
    const e = exp1(load<f32>(xr + o) - mx);
    if (out != 0) store<f32>(out + o, e);
    sum += e;
  }
  return sum;
}

function scaleRow(r: usize, cols: i32, s: f32): void {
  const vs = f32x4.splat(s);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = r + ((<usize>j) << 2);
    v128.store(o, f32x4.mul(v128.load(o), vs));
  }
  for (; j < cols; j++) {
    const o = r + ((<usize>j) << 2);
    store<f32>(o, load<f32>(o) * s);
  }
}

export function softmaxRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let mx = rowMax(xr, cols);
    if (mx == -Infinity) mx = 0; // fully masked row: every exp is 0, and so is the output
    const sum = expSum(xr, or, cols, mx);
    scaleRow(or, cols, sum > 0 ? <f32>(1 / sum) : 0);
  }
}

export function logSoftmaxRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let mx = rowMax(xr, cols);
    if (mx == -Infinity) mx = 0;
    const lse = <f32>(<f64>mx + Math.log(expSum(xr, 0, cols, mx)));
    const vl = f32x4.splat(lse);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = (<usize>j) << 2;
      v128.store(or + o, f32x4.sub(v128.load(xr + o), vl));
    }
    for (; j < cols; j++) {
      const o = (<usize>j) << 2;
      store<f32>(or + o, load<f32>(xr + o) - lse);
    }
  }
}

export function softmaxBackwardRows(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * rowBytes;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = base + ((<usize>j) << 2);
      const p = f32x4.mul(v128.load(dy + o), v128.load(y + o));
      s0 = addLo(s0, p);
      s1 = addHi(s1, p);
    }
    let dot = hsum64(s0, s1);
    for (let t = j; t < cols; t++) {
      const o = base + ((<usize>t) << 2);
      dot += <f64>(load<f32>(dy + o) * load<f32>(y + o));
    }
    const d = <f32>dot;
    const vd = f32x4.splat(d);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = base + ((<usize>j) << 2);
      v128.store(dx + o, f32x4.mul(v128.load(y + o), f32x4.sub(v128.load(dy + o), vd)));
    }
    for (; j < cols; j++) {
      const o = base + ((<usize>j) << 2);
      store<f32>(dx + o, load<f32>(y + o) * (load<f32>(dy + o) - d));
    }
  }
}

/** gamma and beta are 0 when absent. mean and rstd receive one float per row. */
export function layerNormRows(
  x: usize,
  gamma: usize,
  beta: usize,
  out: usize,
  mean: usize,
  rstd: usize,
  rows: i32,
  cols: i32,
  eps: f32,
): void {
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const or = out + <usize>r * rowBytes;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v = v128.load(xr + ((<usize>j) << 2));
      s0 = addLo(s0, v);
      s1 = addHi(s1, v);
    }
    let sum = hsum64(s0, s1);
    for (let t = j; t < cols; t++) sum += <f64>load<f32>(xr + ((<usize>t) << 2));
    const mu = <f32>(sum / cols);
    const vmu = f32x4.splat(mu);
    s0 = f64x2.splat(0);
    s1 = f64x2.splat(0);
    for (j = 0; j + 4 <= cols; j += 4) {
      const d = f32x4.sub(v128.load(xr + ((<usize>j) << 2)), vmu);
      const d2 = f32x4.mul(d, d);
      s0 = addLo(s0, d2);
      s1 = addHi(s1, d2);
    }
    let ss = hsum64(s0, s1);
    for (let t = j; t < cols; t++) {
      const d = load<f32>(xr + ((<usize>t) << 2)) - mu;
      ss += <f64>(d * d);
    }
    const rs = <f32>(1 / Math.sqrt(ss / cols + <f64>eps));
    store<f32>(mean + ((<usize>r) << 2), mu);
    store<f32>(rstd + ((<usize>r) << 2), rs);
    const vrs = f32x4.splat(rs);
    for (j = 0; j + 4 <= cols; j += 4) {
      const o = (<usize>j) << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(xr + o), vmu), vrs);
      if (gamma != 0) v = f32x4.mul(v, v128.load(gamma + o));
      if (beta != 0) v = f32x4.add(v, v128.load(beta + o));
      v128.store(or + o, v);
    }
    for (; j < cols; j++) {
      const o = (<usize>j) << 2;
      let v = (load<f32>(xr + o) - mu) * rs;
      if (gamma != 0) v *= load<f32>(gamma + o);
      if (beta != 0) v += load<f32>(beta + o);
      store<f32>(or + o, v);
    }
  }
}

/**
 * With xhat = (x - mu) rstd and g = dy gamma: dx = rstd (g - mean(g) - xhat mean(g xhat)).
 * dgamma += dy xhat and dbeta += dy (each 0 when absent); gamma 0 means no affine.
 */
export function layerNormBackwardRows(
  x: usize,
  gamma: usize,
  mean: usize,
  rstd: usize,
  dy: usize,
  dx: usize,
  dgamma: usize,
  dbeta: usize,
  rows: i32,
  cols: i32,
): void {
  const rowBytes = (<usize>cols) << 2;
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * rowBytes;
    const mu = load<f32>(mean + ((<usize>r) << 2));
    const rs = load<f32>(rstd + ((<usize>r) << 2));
    const vmu = f32x4.splat(mu);
    const vrs = f32x4.splat(rs);
    let g0 = f64x2.splat(0);
    let g1 = f64x2.splat(0);
    let h0 = f64x2.splat(0);
    let h1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = (<usize>j) << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + base + o), vmu), vrs);
      const d = v128.load(dy + base + o);
      const g = gamma != 0 ? f32x4.mul(d, v128.load(gamma + o)) : d;
      const gx = f32x4.mul(g, xhat);
      g0 = addLo(g0, g);
      g1 = addHi(g1, g);
      h0 = addLo(h0, gx);
      h1 = addHi(h1, gx);
      if (dgamma != 0) v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xhat)));
      if (dbeta != 0) v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
    }
    let sumG = hsum64(g0, g1);
    let sumGX = hsum64(h0, h1);
    for (let t = j; t < cols; t++) {
      const o = (<usize>t) << 2;
      const xhat = (load<f32>(x + base + o) - mu) * rs;
      const d = load<f32>(dy + base + o);
      const g = gamma != 0 ? d * load<f32>(gamma + o) : d;
      sumG += <f64>g;
      sumGX += <f64>(g * xhat);
      if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xhat);
      if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
    }
    const mG = <f32>(sumG / cols);
    const mGX = <f32>(sumGX / cols);
    const vmG = f32x4.splat(mG);
    const vmGX = f32x4.splat(mGX);
    for (j = 0; j + 4 <= cols; j += 4) {
      const o = (<usize>j) << 2;
      const xhat = f32x4.mul(f32x4.sub(v128.load(x + base + o), vmu), vrs);
      const d = v128.load(dy + base + o);
      const g = gamma != 0 ? f32x4.mul(d, v128.load(gamma + o)) : d;
      v128.store(
        dx + base + o,
        f32x4.mul(vrs, f32x4.sub(f32x4.sub(g, vmG), f32x4.mul(xhat, vmGX))),
      );
    }
    for (; j < cols; j++) {
      const o = (<usize>j) << 2;
      const xhat = (load<f32>(x + base + o) - mu) * rs;
      const d = load<f32>(dy + base + o);
      const g = gamma != 0 ? d * load<f32>(gamma + o) : d;
      store<f32>(dx + base + o, rs * (g - mG - xhat * mGX));
    }
  }
}
