import { CheckpointError } from '../../../core/index.js';
import { RunningMeanStd } from '../../wrappers/index.js';

/**
 * Gymnasium's NormalizeObservation / NormalizeReward (+ CleanRL's clipping TransformObservation
 * and TransformReward) applied by the learner to the whole vector of envs, as SB3's VecNormalize:
 * one set of statistics for all envs, kept in the agent so a saved agent normalises its inputs
 * exactly as in training. It works the same for SyncVectorEnv and AsyncVectorEnv.
 */
export class ObservationNormalizer {
  readonly rms: RunningMeanStd;

  constructor(
    readonly dim: number,
    readonly clip = 10,
    readonly epsilon = 1e-8,
  ) {
    this.rms = new RunningMeanStd(dim);
  }

  /** Normalise `count` rows of `obs` in place; update the statistics first (one per row) when asked. */
  apply(obs: Float32Array, count: number, update: boolean): void {
    const d = this.dim;
    if (update) for (let r = 0; r < count; r++) this.rms.update(obs.subarray(r * d, r * d + d));
    const { mean, var: v } = this.rms;
    for (let r = 0; r < count; r++) {
      for (let j = 0; j < d; j++) {
        const x = (obs[r * d + j] - mean[j]) / Math.sqrt(v[j] + this.epsilon);
        obs[r * d + j] = x < -this.clip ? -this.clip : x > this.clip ? this.clip : x;
      }
    }
  }

  toJSON(): NormalizerState {
    return {
      mean: Array.from(this.rms.mean),
      var: Array.from(this.rms.var),
      count: this.rms.count,
    };
  }

  load(state: unknown, where: string): void {
    const s = state as NormalizerState;
    const ok =
      s !== null &&
      typeof s === 'object' &&
      Array.isArray(s.mean) &&
      Array.isArray(s.var) &&
      s.mean.length === this.dim &&
      s.var.length === this.dim &&
      s.mean.every(Number.isFinite) &&
      s.var.every((x) => Number.isFinite(x) && x >= 0) &&
      Number.isFinite(s.count) &&
      s.count > 0;
    if (!ok) {
      throw new CheckpointError(
        `${where}: observation statistics must be {mean, var} of length ${this.dim} and a count > 0`,
      );
    }
    this.rms.mean.set(s.mean);
    this.rms.var.set(s.var);
    this.rms.count = s.count;
  }
}

export interface NormalizerState {
  mean: number[];
  var: number[];
  count: number;
}

/** Rewards divided by the running std of each env's discounted return, then clipped. */
export class RewardNormalizer {
  readonly rms = new RunningMeanStd(1);
  private readonly returns: Float64Array;

  constructor(
    numEnvs: number,
    readonly gamma: number,
    readonly clip = 10,
    readonly epsilon = 1e-8,
  ) {
    this.returns = new Float64Array(numEnvs);
  }

  /** The normalised reward of env i's step (Gymnasium: the return restarts after termination). */
  apply(i: number, reward: number, terminated: boolean): number {
    this.returns[i] = this.returns[i] * this.gamma * (terminated ? 0 : 1) + reward;
    this.rms.update([this.returns[i]]);
    const r = reward / Math.sqrt(this.rms.var[0] + this.epsilon);
    return r < -this.clip ? -this.clip : r > this.clip ? this.clip : r;
  }
}

/**
 * MAPPO's ValueNorm (Yu et al. 2022): the critic predicts returns standardised by running
 * statistics of the value targets, so its output scale stays near 1 whatever the reward scale
 * (SimpleSpread's bootstrapped returns sit near -100). Values leave the critic through
 * `denormalize` before GAE; targets enter the loss through `normalize`.
 */
export class ValueNormalizer {
  readonly rms = new RunningMeanStd(1);

  constructor(readonly epsilon = 1e-5) {}

  private get std(): number {
    return Math.sqrt(this.rms.var[0] + this.epsilon);
  }

  /** Critic outputs -> values in return units, in place. */
  denormalize(values: Float32Array | Float64Array): void {
    const m = this.rms.mean[0];
    const s = this.std;
    for (let i = 0; i < values.length; i++) values[i] = values[i] * s + m;
  }

  /** Values in return units -> the critic's scale, in place. */
  normalize(values: Float32Array | Float64Array): void {
    const m = this.rms.mean[0];
    const s = this.std;
    for (let i = 0; i < values.length; i++) values[i] = (values[i] - m) / s;
  }

  /** Merge a batch of value targets into the statistics. */
  update(returns: ArrayLike<number>): void {
    const n = returns.length;
    if (n === 0) return;
    let m = 0;
    for (let i = 0; i < n; i++) m += returns[i];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (returns[i] - m) ** 2;
    this.rms.updateFromMoments([m], [v / n], n);
  }

  toJSON(): NormalizerState {
    return { mean: [this.rms.mean[0]], var: [this.rms.var[0]], count: this.rms.count };
  }

  load(state: unknown, where: string): void {
    const s = state as NormalizerState;
    const ok =
      s !== null &&
      typeof s === 'object' &&
      Array.isArray(s.mean) &&
      Array.isArray(s.var) &&
      s.mean.length === 1 &&
      s.var.length === 1 &&
      Number.isFinite(s.mean[0]) &&
      Number.isFinite(s.var[0]) &&
      s.var[0] >= 0 &&
      Number.isFinite(s.count) &&
      s.count > 0;
    if (!ok)
      throw new CheckpointError(`${where}: value statistics must be {mean: [m], var: [v], count}`);
    this.rms.mean[0] = s.mean[0];
    this.rms.var[0] = s.var[0];
    this.rms.count = s.count;
  }
}
