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
    const hi = Math.floor(seed / 2 ** 32) | 0;
    let x = seed >>> 0;
    const next = (): number => {
      // SplitMix32 (Steele, Lea, Flood 2014), as used to seed xoshiro generators.
      x = (x + 0x9e3779b9) | 0;
      return fmix32(x);
    };
    // s0 fixes the low 32 seed bits; the high bits enter s1..s3 through bijections that map 0 to
    // 0, so seeds below 2^32 keep their streams and no two safe-integer seeds share a state
    // (folding the high bits into x made 1 and 2^32, or 0 and -1, the same generator).
    this.s0 = next();
    this.s1 = (next() ^ fmix32(Math.imul(hi, 0x9e3779b9))) >>> 0;
    this.s2 = (next() ^ fmix32(hi)) >>> 0;
    this.s3 = (next() ^ fmix32(Math.imul(hi, 0x85ebca6b))) >>> 0;
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
   * Normal(mean, std) truncated to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_; b may
   * be Infinity, a -Infinity). Plain rejection first; bounds it rarely hits (far in a tail, or a
   * narrow interval) are sampled exactly on the standardised interval by Robert's (1995)
   * rejection samplers, so even [10, 11] standard deviations out gets the right distribution.
   */
  truncatedNormal(mean = 0, std = 1, a = -2, b = 2): number {
    if (!(a < b)) throw new ValueError(`Generator.truncatedNormal: need a < b, got [${a}, ${b}]`);
    if (!(std > 0 && Number.isFinite(std)) || !Number.isFinite(mean)) {
      throw new ValueError(
        `Generator.truncatedNormal: need a finite mean and std > 0, got mean ${mean}, std ${std}`,
      );
    }
    for (let i = 0; i < 100; i++) {
      const z = this.normal(mean, std);
      if (z >= a && z <= b) return z;
    }
    const za = (a - mean) / std;
    const zb = (b - mean) / std;
    let z: number;
    if (za >= 0) z = this.normalTail(za, zb);
    else if (zb <= 0) z = -this.normalTail(-zb, -za);
    else {
      // The interval holds the mode: uniform proposal, accepted with the density ratio.
      do z = za + (zb - za) * this.uniform();
      while (this.uniform() > Math.exp(-0.5 * z * z));
    }
    return Math.min(b, Math.max(a, mean + std * z));
  }

  /** A standard normal restricted to [lo, hi], 0 <= lo < hi <= Infinity, exactly. */
  private normalTail(lo: number, hi: number): number {
    if ((hi - lo) * (hi + lo) <= 2) {
      // Narrow: uniform proposal, accepted with exp((lo^2 - z^2) / 2) >= e^-1.
      for (;;) {
        const z = lo + (hi - lo) * this.uniform();
        if (this.uniform() <= Math.exp(0.5 * (lo - z) * (lo + z))) return z;
      }
    }
    // Wide: shifted exponential proposal with the optimal rate.
    const alpha = 0.5 * (lo + Math.sqrt(lo * lo + 4));
    for (;;) {
      const z = lo - Math.log(1 - this.uniform()) / alpha;
      if (z <= hi && this.uniform() <= Math.exp(-0.5 * (z - alpha) * (z - alpha))) return z;
    }
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
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) {
      throw new ValueError(`Generator.permutation: n must be an integer in [0, 2^31), got ${n}`);
    }
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
      state.s.some((v) => (v | 0) !== 0) && // all-zero is xoshiro's fixed point: zeros forever
      (state.spare === null || (typeof state.spare === 'number' && Number.isFinite(state.spare)));
    if (!ok) throw new ValueError(`Generator.setState: malformed state ${JSON.stringify(state)}`);
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0);
    this.spare = state.spare;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3's 32-bit finaliser: a bijection on 32-bit words that maps 0 to 0. */
function fmix32(v: number): number {
  let z = v;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
