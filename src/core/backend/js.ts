import type { FloatArray } from '../dtype.js';
import type { Backend, GemmArgs } from './backend.js';

/**
 * The reference backend: plain loops, float32 and float64. Tests compare the fast backends with
 * it, and float64 gradient checks always run on it.
 */
export const jsBackend: Backend = {
  name: 'js',
  threads: 1,

  gemm(a, b, c, args) {
    for (let bi = 0; bi < args.batch; bi++) {
      gemmOne(a, bi * args.strideA, b, bi * args.strideB, c, bi * args.strideC, args);
    }
  },

  softmaxRows(x, out, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
      if (max === -Infinity) max = 0; // a fully masked row: exp(-inf - 0) = 0 everywhere, sum 0
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        const e = Math.exp(x[o + j] - max);
        out[o + j] = e;
        sum += e;
      }
      const inv = sum > 0 ? 1 / sum : 0;
      for (let j = 0; j < cols; j++) out[o + j] *= inv;
    }
  },

  softmaxBackwardRows(y, dy, dx, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += dy[o + j] * y[o + j];
      for (let j = 0; j < cols; j++) dx[o + j] = y[o + j] * (dy[o + j] - dot);
    }
  },

  logSoftmaxRows(x, out, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
      if (max === -Infinity) max = 0;
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j] - max);
      const lse = max + Math.log(sum);
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j] - lse;
    }
  },

  layerNormRows(x, gamma, beta, out, mean, rstd, rows, cols, eps) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let mu = 0;
      for (let j = 0; j < cols; j++) mu += x[o + j];
      mu /= cols;
      let v = 0;
      for (let j = 0; j < cols; j++) {
        const d = x[o + j] - mu;
        v += d * d;
      }
      const rs = 1 / Math.sqrt(v / cols + eps);
      mean[r] = mu;
      rstd[r] = rs;
      for (let j = 0; j < cols; j++) {
        let y = (x[o + j] - mu) * rs;
        if (gamma) y *= gamma[j];
        if (beta) y += beta[j];
        out[o + j] = y;
      }
    }
  },

  layerNormBackwardRows(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const mu = mean[r];
      const rs = rstd[r];
      // With xhat = (x - mu) * rs and g = dy * gamma:
      // dx = rs * (g - mean(g) - xhat * mean(g * xhat))
      let sumG = 0;
      let sumGX = 0;
      for (let j = 0; j < cols; j++) {
        const xhat = (x[o + j] - mu) * rs;
        const g = gamma ? dy[o + j] * gamma[j] : dy[o + j];
        sumG += g;
        sumGX += g * xhat;
        if (dgamma) dgamma[j] += dy[o + j] * xhat;
        if (dbeta) dbeta[j] += dy[o + j];
      }
      const mG = sumG / cols;
      const mGX = sumGX / cols;
      for (let j = 0; j < cols; j++) {
        const xhat = (x[o + j] - mu) * rs;
        const g = gamma ? dy[o + j] * gamma[j] : dy[o + j];
        dx[o + j] = rs * (g - mG - xhat * mGX);
      }
    }
  },

  gelu(x, out, approximate) {
    const n = x.length;
    if (approximate === 'tanh') {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
      }
    } else {
      for (let i = 0; i < n; i++) out[i] = 0.5 * x[i] * (1 + erf(x[i] * Math.SQRT1_2));
    }
  },

  geluBackward(x, dy, dx, approximate) {
    const n = x.length;
    if (approximate === 'tanh') {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
        const t = Math.tanh(u);
        const du = SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
        dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const cdf = 0.5 * (1 + erf(v * Math.SQRT1_2));
        const pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
        dx[i] = dy[i] * (cdf + v * pdf);
      }
    }
  },

  addColumnSums(x, out, rows, cols) {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let j = 0; j < cols; j++) out[j] += x[o + j];
    }
  },

  tanh(x, out) {
    if (x instanceof Float32Array) return tanhF32(x, out);
    const n = x.length;
    for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
  },

  tanhBackward(y, dy, dx) {
    const n = dx.length;
    for (let i = 0; i < n; i++) {
      const t = y[i];
      dx[i] = dy[i] * (1 - t * t);
    }
  },

  adamStep(p, g, m, v, { lr, beta1, beta2, eps, weightDecay, decoupled, step }) {
    const bc1 = 1 - Math.pow(beta1, step);
    const bc2 = 1 - Math.pow(beta2, step);
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    const decay = decoupled ? 1 - lr * weightDecay : 1;
    const l2 = decoupled ? 0 : weightDecay;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = g[i] + l2 * p[i];
      const mi = beta1 * m[i] + (1 - beta1) * gi;
      const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  },
};

// tanh for float32: a rational minimax approximation (Eigen's ptanh_float, odd degree 13 over
// even degree 6) on x clamped to +-TANH_CLAMP, beyond which tanh is 1 to float32 precision.
// Evaluated in float64 it stays within 2.4e-7 (4 float32 ulps) of Math.tanh (checked over a
// dense grid in test/core/ops/tanh-f32.test.ts) and runs ~4x faster than Math.tanh, which was
// the largest cost of the small-MLP training step (8192 tanh per step). NaN stays NaN (both
// clamp comparisons are false); float64 keeps Math.tanh for gradient checks. The wasm kernel
// (assembly/tanh.ts) evaluates the same expression in the same order: the same bits.
const TANH_CLAMP = 7.905311107635498;
const [A1, A3, A5, A7, A9, A11, A13] = [
  4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8,
  -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16,
];
const [B0, B2, B4, B6] = [
  4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6,
];

function tanhF32(x: Float32Array, out: FloatArray): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const c = v < -TANH_CLAMP ? -TANH_CLAMP : v > TANH_CLAMP ? TANH_CLAMP : v;
    const c2 = c * c;
    const num = c * (A1 + c2 * (A3 + c2 * (A5 + c2 * (A7 + c2 * (A9 + c2 * (A11 + c2 * A13))))));
    out[i] = num / (B0 + c2 * (B2 + c2 * (B4 + c2 * B6)));
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf to ~1e-15 relative: Abramowitz-Stegun 7.1.26 is too coarse for float64 gradient checks. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    // Maclaurin series: converges fast for |x| < 2.5 in double precision.
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Continued fraction for erfc (Lentz), accurate for large |x|.
    r = 1 - erfcContinuedFraction(ax);
  }
  return x < 0 ? -r : r;
}

function erfcContinuedFraction(x: number): number {
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = x;
  const tiny = 1e-300;
  let c = x;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = x + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

function gemmOne(
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  c: FloatArray,
  co: number,
  { m, n, k, transA, transB, alpha, beta }: GemmArgs,
): void {
  // Scale or clear C first, then accumulate rank-1 updates in i-p-j order so the innermost loop
  // walks C and B rows contiguously when B is not transposed.
  for (let i = 0; i < m * n; i++) c[co + i] = beta === 0 ? 0 : c[co + i] * beta;
  if (!transB) {
    for (let i = 0; i < m; i++) {
      const crow = co + i * n;
      for (let p = 0; p < k; p++) {
        const av = alpha * (transA ? a[ao + p * m + i] : a[ao + i * k + p]);
        const brow = bo + p * n;
        for (let j = 0; j < n; j++) c[crow + j] += av * b[brow + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const crow = co + i * n;
      for (let j = 0; j < n; j++) {
        const brow = bo + j * k;
        let s = 0;
        if (transA) for (let p = 0; p < k; p++) s += a[ao + p * m + i] * b[brow + p];
        else {
          const arow = ao + i * k;
          for (let p = 0; p < k; p++) s += a[arow + p] * b[brow + p];
        }
        c[crow + j] += alpha * s;
      }
    }
  }
}
