import type { ResetArgs, ResetResult, StepResult } from '../env.js';
import { EnvError } from '../errors.js';
import { Wrapper } from '../wrapper.js';

/**
 * Gymnasium's OrderEnforcing, extended: a step before the first reset, or after a step that
 * returned terminated or truncated, raises EnvError instead of silently running on a finished
 * episode.
 */
export class OrderEnforcing<Obs, Act> extends Wrapper<Obs, Act> {
  private hasReset = false;
  private episodeOver = false;

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    this.hasReset = true;
    this.episodeOver = false;
    return r;
  }

  override step(action: Act): StepResult<Obs> {
    const id = this.spec?.id ?? this.unwrapped.constructor.name;
    if (!this.hasReset) throw new EnvError(`${id}: step() called before reset()`);
    if (this.episodeOver) {
      throw new EnvError(
        `${id}: step() called after the episode ended (terminated or truncated); call reset() first`,
      );
    }
    const r = this.env.step(action);
    if (r.terminated || r.truncated) this.episodeOver = true;
    return r;
  }

  /** Whether reset() has been called (Gymnasium's `has_reset`). */
  get hasBeenReset(): boolean {
    return this.hasReset;
  }
}
