import { ValueError } from '../../core/errors.js';
import type { ResetArgs } from '../env.js';
import {
  ParallelWrapper,
  type AgentDict,
  type ParallelEnv,
  type ParallelResetResult,
  type ParallelStepResult,
} from '../parallel-env.js';

/**
 * TimeLimit for parallel envs: after `maxEpisodeSteps` steps every agent that acted is
 * truncated and `agents` reads as empty, as PettingZoo envs do at `max_cycles`.
 */
export class ParallelTimeLimit<Obs, Act> extends ParallelWrapper<Obs, Act> {
  private elapsedSteps = 0;
  private cut = false;

  constructor(
    env: ParallelEnv<Obs, Act>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new ValueError(
        `ParallelTimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`,
      );
    }
  }

  override reset(args?: ResetArgs): ParallelResetResult<Obs> {
    this.elapsedSteps = 0;
    this.cut = false;
    return this.env.reset(args);
  }

  override step(actions: AgentDict<Act>): ParallelStepResult<Obs> {
    const r = this.env.step(actions);
    this.elapsedSteps++;
    if (this.elapsedSteps >= this.maxEpisodeSteps) {
      for (const a of Object.keys(r.truncations)) r.truncations[a] = true;
      this.cut = true;
    }
    return r;
  }

  override get agents(): string[] {
    return this.cut ? [] : this.env.agents;
  }
  override set agents(a: string[]) {
    this.env.agents = a;
  }
}
