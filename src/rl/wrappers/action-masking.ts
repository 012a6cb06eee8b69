import type { Generator } from '../../core/rng.js';
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.js';
import { describeValue, EnvError } from '../errors.js';
import { Discrete } from '../spaces/discrete.js';
import { Wrapper } from '../wrapper.js';

/**
 * Honours `info.action_mask` (1 = allowed) for Discrete action spaces: the mask from the latest
 * reset/step is kept, an action it forbids raises EnvError, and `sampleAction` draws only
 * allowed actions (Discrete.sample with the mask, as Gymnasium's masked sampling).
 */
export class ActionMasking<Obs> extends Wrapper<Obs, number> {
  private mask: Int8Array | null = null;

  constructor(
    env: Env<Obs, number>,
    readonly maskKey = 'action_mask',
  ) {
    super(env);
    if (!(env.actionSpace instanceof Discrete)) {
      throw new EnvError(`ActionMasking: needs a Discrete action space, got ${env.actionSpace}`);
    }
  }

  /** The mask currently in force, or null if the env gave none. */
  get actionMask(): Int8Array | null {
    return this.mask;
  }

  sampleAction(rng: Generator): number {
    return (this.actionSpace as Discrete).sample(rng, this.mask ?? undefined);
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    this.readMask(r.info);
    return r;
  }

  override step(action: number): StepResult<Obs> {
    const space = this.actionSpace as Discrete;
    if (this.mask !== null && space.contains(action) && this.mask[action - space.start] !== 1) {
      throw new EnvError(
        `${this.spec?.id ?? this.unwrapped.constructor.name}: action ${describeValue(action)} is masked out by info.${this.maskKey} ${describeValue(this.mask)}`,
      );
    }
    const r = this.env.step(action);
    this.readMask(r.info);
    return r;
  }

  private readMask(info: Record<string, unknown>): void {
    const m = info[this.maskKey];
    if (m === undefined || m === null) {
      this.mask = null;
      return;
    }
    const n = (this.actionSpace as Discrete).n;
    const arr = m as ArrayLike<number>;
    if (typeof arr.length !== 'number' || arr.length !== n) {
      throw new EnvError(
        `ActionMasking: info.${this.maskKey} must have length ${n}, got ${describeValue(m)}`,
      );
    }
    this.mask = Int8Array.from(arr, (v) => (v ? 1 : 0));
  }
}
