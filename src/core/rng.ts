import { ValueError } from './errors.js';

/** A generator's full state, JSON-serialisable, for checkpoints and exact resume. */
export interface GeneratorState {
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * A seeded random generator: xoshiro128** (Blackman & Vigna), seeded through SplitMix32 so that
 * nearby seeds give unrelated streams. All randomness in Osmosis flows through explicit
 * Generators: the same seed gives bitwise-identical results.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Box-Muller makes normals in pairs; the second one waits here. */
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new ValueError(`Generator: seed must be a safe integer, got ${seed}`);
    }
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    const next = (): number => {
      // SplitMix32 (Steele, Lea, Flood 2014), as used to seed xoshiro generators.
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new ValueError(`Generator.int: n must be an integer in [1, 2^32], got ${n}`);
    }
    // Rejection keeps every value equally likely when n does not divide 2^32.
    const limit = 2 ** 32 - (2 ** 32 % n);
    let r = this.nextUint32();
    while (r >= limit) r = this.nextUint32();
    return r % n;
  }

  /** Normal(mean, std) by the Box-Muller transform. */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Normal(mean, std) truncated to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_),
   * by rejection; bounds far in the tail (acceptance < ~1%) fall back to inverse-CDF sampling.
   */
  truncatedNormal(mean = 0, std = 1, a = -2, b = 2): number {
    if (!(a < b)) throw new ValueError(`Generator.truncatedNormal: need a < b, got [${a}, ${b}]`);
    for (let i = 0; i < 100; i++) {
      const z = this.normal(mean, std);
      if (z >= a && z <= b) return z;
    }
    const lo = normalCdf((a - mean) / std);
    const hi = normalCdf((b - mean) / std);
    const p = lo + (hi - lo) * this.uniform();
    return Math.min(b, Math.max(a, mean + std * normalQuantile(p)));
  }

  /** 1 with probability p, else 0. */
  bernoulli(p: number): number {
    if (!(p >= 0 && p <= 1))
      throw new ValueError(`Generator.bernoulli: p must be in [0,1], got ${p}`);
    return this.uniform() < p ? 1 : 0;
  }

  /** An index drawn with probability proportional to weights (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new ValueError(
          `Generator.categorical: weight ${i} is ${w}; weights must be finite and >= 0`,
        );
      }
      total += w;
    }
    if (total <= 0) throw new ValueError('Generator.categorical: weights sum to 0');
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    // Rounding can leave r at ~0: return the last index with non-zero weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** A new generator whose stream is independent of this one's (consumes 2 draws here). */
  spawn(): Generator {
    return new Generator(this.nextUint32() * 2097152 + (this.nextUint32() >>> 11));
  }

  getState(): GeneratorState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  setState(state: GeneratorState): void {
    const ok =
      Array.isArray(state?.s) &&
      state.s.length === 4 &&
      state.s.every((v) => Number.isInteger(v)) &&
      (state.spare === null || typeof state.spare === 'number');
    if (!ok) throw new ValueError(`Generator.setState: malformed state ${JSON.stringify(state)}`);
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0);
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function normalCdf(z: number): number {
  return 0.5 * erfcApprox(-z / Math.SQRT2);
}

function erfcApprox(x: number): number {
  // Numerical Recipes erfc (Chebyshev), relative error < 1.2e-7: ample for tail sampling.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Acklam's inverse normal CDF, relative error ~1e-9. */
function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
