import { ValueError } from '../../core/errors.js';
import type { Env, Info } from '../env.js';
import { EnvError } from '../errors.js';
import type { Space } from '../spaces/space.js';
import { Tuple } from '../spaces/tuple.js';
import {
  envSeed,
  type VectorResetArgs,
  type VectorResetResult,
  type VectorStepResult,
} from './types.js';

/**
 * Gymnasium 1.x SyncVectorEnv: `numEnvs` copies stepped one after another in this thread.
 *
 * Autoreset is "next-step" (Gymnasium 1.x's default): when env i terminates or truncates at step
 * t, step t returns its final observation as usual; at step t+1 its action is ignored, the env
 * is reset, and step t+1 returns the reset observation and info with reward 0 and both flags
 * false. A training loop must therefore not store the transition (obs_t, a_t+1, obs_t+1) for an
 * env whose previous step ended its episode.
 */
export class SyncVectorEnv<Obs, Act> {
  readonly envs: Env<Obs, Act>[];
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<Obs>;
  readonly singleActionSpace: Space<Act>;
  /** One action per env; `actionSpace.sample(rng)` gives a batch of random actions. */
  readonly actionSpace: Tuple<Space<Act>[]>;
  readonly observationSpace: Tuple<Space<Obs>[]>;
  readonly autoresetMode = 'next-step' as const;
  private readonly autoresetEnvs: boolean[];
  private closed = false;

  constructor(envFns: readonly (() => Env<Obs, Act>)[]) {
    if (envFns.length === 0) throw new ValueError('SyncVectorEnv: need at least one env');
    this.envs = envFns.map((f) => f());
    this.numEnvs = this.envs.length;
    this.singleObservationSpace = this.envs[0].observationSpace;
    this.singleActionSpace = this.envs[0].actionSpace;
    this.envs.forEach((e, i) => {
      if (
        !e.observationSpace.equals(this.singleObservationSpace) ||
        !e.actionSpace.equals(this.singleActionSpace)
      ) {
        throw new EnvError(`SyncVectorEnv: env ${i} has different spaces from env 0`);
      }
    });
    this.actionSpace = new Tuple(
      Array.from({ length: this.numEnvs }, () => this.singleActionSpace),
    );
    this.observationSpace = new Tuple(
      Array.from({ length: this.numEnvs }, () => this.singleObservationSpace),
    );
    this.autoresetEnvs = new Array<boolean>(this.numEnvs).fill(false);
  }

  reset(args: VectorResetArgs = {}): VectorResetResult<Obs> {
    this.checkOpen();
    const observations: Obs[] = [];
    const infos: Info[] = [];
    this.envs.forEach((env, i) => {
      const r = env.reset({ seed: envSeed(args.seed, i, this.numEnvs), options: args.options });
      observations.push(r.observation);
      infos.push(r.info);
    });
    this.autoresetEnvs.fill(false);
    return { observations, infos };
  }

  step(actions: readonly Act[]): VectorStepResult<Obs> {
    this.checkOpen();
    if (actions.length !== this.numEnvs) {
      throw new EnvError(
        `SyncVectorEnv.step: got ${actions.length} actions for ${this.numEnvs} envs`,
      );
    }
    const out: VectorStepResult<Obs> = {
      observations: [],
      rewards: new Float64Array(this.numEnvs),
      terminations: new Array<boolean>(this.numEnvs).fill(false),
      truncations: new Array<boolean>(this.numEnvs).fill(false),
      infos: [],
    };
    this.envs.forEach((env, i) => {
      if (this.autoresetEnvs[i]) {
        const r = env.reset();
        out.observations.push(r.observation);
        out.infos.push(r.info);
      } else {
        const r = env.step(actions[i]);
        out.observations.push(r.observation);
        out.rewards[i] = r.reward;
        out.terminations[i] = r.terminated;
        out.truncations[i] = r.truncated;
        out.infos.push(r.info);
      }
      this.autoresetEnvs[i] = out.terminations[i] || out.truncations[i];
    });
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.envs) e.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new EnvError('SyncVectorEnv: used after close()');
  }
}
