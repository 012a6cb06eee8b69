import type { Env, StepResult } from '../env.js';
import { Box } from '../spaces/box.js';
import { ObservationWrapper, Wrapper } from '../wrapper.js';
import { EnvError } from '../errors.js';
import { RunningMeanStd } from './running-mean-std.js';

/**
 * Gymnasium's NormalizeObservation: (obs - mean) / sqrt(var + epsilon) with running statistics
 * updated on every observation (reset ones included) while `updateRunningMean` is true.
 */
export class NormalizeObservation<Act> extends ObservationWrapper<Float32Array, Act, Float32Array> {
  readonly obsRms: RunningMeanStd;
  updateRunningMean = true;

  constructor(
    env: Env<Float32Array, Act>,
    readonly epsilon = 1e-8,
  ) {
    super(env);
    const space = env.observationSpace;
    if (!(space instanceof Box)) {
      throw new EnvError(`NormalizeObservation: needs a Box observation space, got ${space}`);
    }
    this.obsRms = new RunningMeanStd(space.size);
    this.setObservationSpace(new Box(-Infinity, Infinity, space.shape));
  }

  observation(obs: Float32Array): Float32Array {
    if (this.updateRunningMean) this.obsRms.update(obs);
    const out = new Float32Array(obs.length);
    const { mean, var: v } = this.obsRms;
    for (let i = 0; i < obs.length; i++)
      out[i] = (obs[i] - mean[i]) / Math.sqrt(v[i] + this.epsilon);
    return out;
  }
}

/**
 * Gymnasium's NormalizeReward: rewards divided by the running standard deviation of a
 * discounted return `g = g * gamma * (1 - terminated) + r`. As in Gymnasium the return is not
 * cleared on reset and the mean is not subtracted (openai/baselines#538).
 */
export class NormalizeReward<Obs, Act> extends Wrapper<Obs, Act> {
  readonly returnRms = new RunningMeanStd(1);
  discountedReward = 0;
  updateRunningMean = true;

  constructor(
    env: Env<Obs, Act>,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.discountedReward = this.discountedReward * this.gamma * (r.terminated ? 0 : 1) + r.reward;
    if (this.updateRunningMean) this.returnRms.update([this.discountedReward]);
    return { ...r, reward: r.reward / Math.sqrt(this.returnRms.var[0] + this.epsilon) };
  }
}

/** Multiplies every reward by a constant (Gymnasium's TransformReward with `r * scale`). */
export class ScaleReward<Obs, Act> extends Wrapper<Obs, Act> {
  constructor(
    env: Env<Obs, Act>,
    readonly scale: number,
  ) {
    super(env);
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    return { ...r, reward: r.reward * this.scale };
  }
}
