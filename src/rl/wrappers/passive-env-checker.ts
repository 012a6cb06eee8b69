import type { Env, ResetArgs, ResetResult, StepResult } from '../env.js';
import { describeValue, EnvError } from '../errors.js';
import { Space } from '../spaces/space.js';
import { Wrapper } from '../wrapper.js';

/**
 * Gymnasium's PassiveEnvChecker: checks the spaces on construction and the first reset and step
 * results for type and space membership. Unlike Gymnasium it raises rather than warns, and it
 * checks every action against the action space, so invalid actions fail loudly with the env id.
 */
export class PassiveEnvChecker<Obs, Act> extends Wrapper<Obs, Act> {
  private checkedReset = false;
  private checkedStep = false;

  constructor(env: Env<Obs, Act>) {
    super(env);
    for (const [name, space] of [
      ['observationSpace', env.observationSpace],
      ['actionSpace', env.actionSpace],
    ] as const) {
      if (!(space instanceof Space)) {
        throw new EnvError(`${this.envId()}: ${name} is not a Space (got ${describeValue(space)})`);
      }
    }
  }

  private envId(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    if (!this.checkedReset) {
      this.checkedReset = true;
      if (typeof r !== 'object' || r === null || !('observation' in r)) {
        throw new EnvError(`${this.envId()}: reset() must return { observation, info }`);
      }
      checkInfo(this.envId(), 'reset', r.info);
      checkObservation(this.envId(), 'reset', this.observationSpace, r.observation);
    }
    return r;
  }

  override step(action: Act): StepResult<Obs> {
    if (!this.actionSpace.contains(action)) {
      throw new EnvError(
        `${this.envId()}: action ${describeValue(action)} is not in the action space ${this.actionSpace}`,
      );
    }
    const r = this.env.step(action);
    if (!this.checkedStep) {
      this.checkedStep = true;
      checkStepResult(this.envId(), this.observationSpace, r);
    }
    return r;
  }
}

export function checkObservation(
  id: string,
  where: string,
  space: Space<unknown>,
  obs: unknown,
): void {
  if (!space.contains(obs)) {
    throw new EnvError(
      `${id}: ${where}() returned observation ${describeValue(obs)} outside the observation space ${space}`,
    );
  }
}

export function checkInfo(id: string, where: string, info: unknown): void {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new EnvError(`${id}: ${where}() info must be a plain object, got ${describeValue(info)}`);
  }
}

export function checkStepResult(id: string, space: Space<unknown>, r: StepResult<unknown>): void {
  if (typeof r !== 'object' || r === null) {
    throw new EnvError(
      `${id}: step() must return { observation, reward, terminated, truncated, info }`,
    );
  }
  if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) {
    throw new EnvError(
      `${id}: step() reward must be a finite number, got ${describeValue(r.reward)}`,
    );
  }
  for (const k of ['terminated', 'truncated'] as const) {
    if (typeof r[k] !== 'boolean') {
      throw new EnvError(`${id}: step() ${k} must be a boolean, got ${describeValue(r[k])}`);
    }
  }
  checkInfo(id, 'step', r.info);
  checkObservation(id, 'step', space, r.observation);
}
