import { ValueError } from '../../core/errors.js';
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.js';
import { Wrapper } from '../wrapper.js';

/** Gymnasium's TimeLimit: sets `truncated` once `maxEpisodeSteps` steps have been taken. */
export class TimeLimit<Obs, Act> extends Wrapper<Obs, Act> {
  private elapsedSteps = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new ValueError(
        `TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`,
      );
    }
  }

  get elapsed(): number {
    return this.elapsedSteps;
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    this.elapsedSteps = 0;
    return this.env.reset(args);
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps) r.truncated = true;
    return r;
  }
}
