import type { Generator } from '../core/rng.js';
import type { Env, EnvMetadata, EnvSpec, ResetArgs, ResetResult, StepResult } from './env.js';
import { Env as EnvBase } from './env.js';
import type { Space } from './spaces/space.js';

/**
 * Gymnasium's `Wrapper`: forwards everything to `env` unless overridden. Spaces, metadata,
 * spec and the generator are forwarded; a wrapper that changes a space sets it through
 * `setObservationSpace` / `setActionSpace`.
 */
export class Wrapper<Obs, Act, WObs = Obs, WAct = Act> extends EnvBase<WObs, WAct> {
  private ownObservationSpace: Space<WObs> | null = null;
  private ownActionSpace: Space<WAct> | null = null;

  constructor(readonly env: Env<Obs, Act>) {
    super();
  }

  get observationSpace(): Space<WObs> {
    return this.ownObservationSpace ?? (this.env.observationSpace as unknown as Space<WObs>);
  }
  get actionSpace(): Space<WAct> {
    return this.ownActionSpace ?? (this.env.actionSpace as unknown as Space<WAct>);
  }
  protected setObservationSpace(space: Space<WObs>): void {
    this.ownObservationSpace = space;
  }
  protected setActionSpace(space: Space<WAct>): void {
    this.ownActionSpace = space;
  }

  reset(args?: ResetArgs): ResetResult<WObs> {
    return this.env.reset(args) as unknown as ResetResult<WObs>;
  }
  step(action: WAct): StepResult<WObs> {
    return this.env.step(action as unknown as Act) as unknown as StepResult<WObs>;
  }
  override render(): unknown {
    return this.env.render();
  }
  override close(): void {
    this.env.close();
  }

  override get metadata(): EnvMetadata {
    return this.env.metadata;
  }
  override set metadata(m: EnvMetadata) {
    this.env.metadata = m;
  }
  override get spec(): EnvSpec | null {
    return this.env.spec;
  }
  override set spec(s: EnvSpec | null) {
    this.env.spec = s;
  }
  override get npRandom(): Generator {
    return this.env.npRandom;
  }
  override set npRandom(g: Generator) {
    this.env.npRandom = g;
  }
  override get npRandomSeed(): number | null {
    return this.env.npRandomSeed;
  }
  override get unwrapped(): Env<unknown, unknown> {
    return this.env.unwrapped;
  }

  override toString(): string {
    return `<${this.constructor.name}${this.env.toString()}>`;
  }
}

/** Gymnasium's `ObservationWrapper`: maps every observation through `observation`. */
export abstract class ObservationWrapper<Obs, Act, WObs> extends Wrapper<Obs, Act, WObs, Act> {
  abstract observation(obs: Obs): WObs;

  override reset(args?: ResetArgs): ResetResult<WObs> {
    const { observation, info } = this.env.reset(args);
    return { observation: this.observation(observation), info };
  }
  override step(action: Act): StepResult<WObs> {
    const r = this.env.step(action);
    return { ...r, observation: this.observation(r.observation) };
  }
}

/** Gymnasium's `RewardWrapper`: maps every reward through `reward`. */
export abstract class RewardWrapper<Obs, Act> extends Wrapper<Obs, Act> {
  abstract reward(r: number): number;

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    return { ...r, reward: this.reward(r.reward) };
  }
}

/** Gymnasium's `ActionWrapper`: maps every action through `action` before the inner step. */
export abstract class ActionWrapper<Obs, Act, WAct> extends Wrapper<Obs, Act, Obs, WAct> {
  abstract action(a: WAct): Act;

  override step(action: WAct): StepResult<Obs> {
    return this.env.step(this.action(action));
  }
}
