/**
 * The linear feature baseline of Duan et al. (2016), as MAML's RL experiments use it: per step,
 * features [o, o², t/100, (t/100)², (t/100)³, 1] (o clipped to ±10), fitted by ridge regression
 * to the discounted returns of the batch and then used to predict them. It has no parameters
 * that the meta-learner would have to learn, so the policy is the only thing adapted.
 */

/** Row-major features [T, F] for `obs` [T, D] with time indices `t`. */
export function baselineFeatures(
  obs: Float32Array,
  dim: number,
  t: Int32Array,
): { x: Float64Array; f: number } {
  const T = t.length;
  const f = 2 * dim + 4;
  const x = new Float64Array(T * f);
  for (let r = 0; r < T; r++) {
    const row = r * f;
    for (let d = 0; d < dim; d++) {
      const o = Math.max(-10, Math.min(10, obs[r * dim + d]));
      x[row + d] = o;
      x[row + dim + d] = o * o;
    }
    const a = t[r] / 100;
    x[row + 2 * dim] = a;
    x[row + 2 * dim + 1] = a * a;
    x[row + 2 * dim + 2] = a * a * a;
    x[row + 2 * dim + 3] = 1;
  }
  return { x, f };
}

/**
 * Least squares w = (XᵀX + λI)⁻¹ Xᵀy by Cholesky; λ grows tenfold until the system is positive
 * definite (rllab's retry loop). Returns Xw.
 */
export function fitPredict(x: Float64Array, f: number, y: Float64Array, reg = 1e-5): Float64Array {
  const T = y.length;
  const a = new Float64Array(f * f);
  const b = new Float64Array(f);
  for (let r = 0; r < T; r++) {
    const row = r * f;
    for (let i = 0; i < f; i++) {
      const xi = x[row + i];
      if (xi === 0) continue;
      b[i] += xi * y[r];
      for (let j = 0; j <= i; j++) a[i * f + j] += xi * x[row + j];
    }
  }
  let w: Float64Array | null = null;
  for (let lambda = reg; lambda < 1e6 && w === null; lambda *= 10) w = solveSpd(a, b, f, lambda);
  const out = new Float64Array(T);
  if (w === null) return out;
  for (let r = 0; r < T; r++) {
    let s = 0;
    for (let i = 0; i < f; i++) s += x[r * f + i] * w[i];
    out[r] = s;
  }
  return out;
}

/** Solve (A + λI) w = b for symmetric A given by its lower triangle; null if not SPD. */
function solveSpd(
  a: Float64Array,
  b: Float64Array,
  n: number,
  lambda: number,
): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j] + (i === j ? lambda : 0);
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 1e-12)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * z[k];
    z[i] = s / l[i * n + i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * w[k];
    w[i] = s / l[i * n + i];
  }
  for (const v of w) if (!Number.isFinite(v)) return null;
  return w;
}
