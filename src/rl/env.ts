import type { Generator } from '../core/rng.js';
import { EnvRandom } from './seeding.js';
import type { Space } from './spaces/space.js';

/** Auxiliary diagnostics returned beside observations (Gymnasium's `info` dict). */
export type Info = Record<string, unknown>;

/** Arguments of `reset`, as Gymnasium's keyword arguments `seed` and `options`. */
export interface ResetArgs {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<Obs> {
  observation: Obs;
  info: Info;
}

/** Gymnasium 1.x step result: `terminated` ends the MDP, `truncated` cuts it short (time limit). */
export interface StepResult<Obs> {
  observation: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface EnvMetadata {
  renderModes: string[];
  renderFps?: number;
  [key: string]: unknown;
}

export type EnvKind = 'single' | 'parallel' | 'aec';

/** How `make` built an env (Gymnasium's EnvSpec); attached to the innermost env as `spec`. */
export interface EnvSpec {
  id: string;
  kind: EnvKind;
  maxEpisodeSteps: number | null;
  rewardThreshold: number | null;
  nondeterministic: boolean;
  /** The options the env was built with, defaults merged and validated. */
  options: Record<string, unknown>;
  disableEnvChecker: boolean;
}

/**
 * A single-agent environment with Gymnasium 1.x semantics.
 *
 * Subclasses implement `reset` and `step`. `reset` must call `this.seedReset(args)` first: as
 * Gymnasium's `super().reset(seed=seed)`, a seed re-creates `npRandom`, no seed continues its
 * stream. Observations returned are fresh values the caller may keep.
 */
export abstract class Env<Obs = unknown, Act = unknown> {
  abstract readonly observationSpace: Space<Obs>;
  abstract readonly actionSpace: Space<Act>;
  private _metadata: EnvMetadata = { renderModes: [] };
  private _spec: EnvSpec | null = null;
  private readonly random = new EnvRandom();

  abstract reset(args?: ResetArgs): ResetResult<Obs>;
  abstract step(action: Act): StepResult<Obs>;

  /** Renders per `metadata.renderModes` (ansi strings here); undefined if the env has none. */
  render(): unknown {
    return undefined;
  }

  close(): void {}

  get metadata(): EnvMetadata {
    return this._metadata;
  }
  set metadata(m: EnvMetadata) {
    this._metadata = m;
  }

  get spec(): EnvSpec | null {
    return this._spec;
  }
  set spec(s: EnvSpec | null) {
    this._spec = s;
  }

  /** The environment's generator (Gymnasium's `np_random`); seeded from entropy if never set. */
  get npRandom(): Generator {
    return this.random.generator;
  }
  set npRandom(g: Generator) {
    this.random.generator = g;
  }
  get npRandomSeed(): number | null {
    return this.random.seed;
  }

  /** The innermost env beneath any wrappers. */
  get unwrapped(): Env<unknown, unknown> {
    return this as Env<unknown, unknown>;
  }

  /** The seeding half of Gymnasium's `Env.reset`: call first thing in `reset`. */
  protected seedReset(args?: ResetArgs): void {
    if (args?.seed !== undefined && args.seed !== null) this.random.reseed(args.seed);
  }

  toString(): string {
    return `<${this.constructor.name}${this.spec ? `<${this.spec.id}>` : ''}>`;
  }
}
