import { AECWrapper } from '../aec-wrapper.js';
import type { AECEnv, AECLast } from '../aec-env.js';
import type { ResetArgs } from '../env.js';
import { describeValue, EnvError } from '../errors.js';
import {
  ParallelWrapper,
  type AgentDict,
  type ParallelEnv,
  type ParallelResetResult,
  type ParallelStepResult,
} from '../parallel-env.js';

/**
 * Order enforcing and action checks for parallel envs: no step before reset or once every agent
 * is done; the action dict must name exactly the live agents, each action inside its space.
 */
export class ParallelOrderEnforcing<Obs, Act> extends ParallelWrapper<Obs, Act> {
  private hasReset = false;

  constructor(
    env: ParallelEnv<Obs, Act>,
    readonly checkActions = true,
  ) {
    super(env);
  }

  private envId(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }

  override reset(args?: ResetArgs): ParallelResetResult<Obs> {
    const r = this.env.reset(args);
    this.hasReset = true;
    return r;
  }

  override step(actions: AgentDict<Act>): ParallelStepResult<Obs> {
    const id = this.envId();
    if (!this.hasReset) throw new EnvError(`${id}: step() called before reset()`);
    const live = this.agents;
    if (live.length === 0) {
      throw new EnvError(`${id}: step() called with no live agents (episode over); call reset()`);
    }
    if (typeof actions !== 'object' || actions === null) {
      throw new EnvError(`${id}: step() expects a dict of actions keyed by agent`);
    }
    for (const a of Object.keys(actions)) {
      if (!live.includes(a)) {
        throw new EnvError(
          `${id}: action given for agent '${a}', which is not live (live: ${live.join(', ')})`,
        );
      }
      if (this.checkActions && !this.actionSpace(a).contains(actions[a])) {
        throw new EnvError(
          `${id}: action ${describeValue(actions[a])} for agent '${a}' is not in its action space ${this.actionSpace(a)}`,
        );
      }
    }
    const missing = live.filter((a) => !Object.hasOwn(actions, a));
    if (missing.length > 0) {
      throw new EnvError(`${id}: no action given for live agent(s) ${missing.join(', ')}`);
    }
    return this.env.step(actions);
  }
}

/**
 * Order enforcing and action checks for AEC envs (PettingZoo's OrderEnforcingWrapper and
 * AssertOutOfBoundsWrapper): no step/observe/last before reset; a done agent may only be
 * stepped with null, a live one only with an action inside its space.
 */
export class AECOrderEnforcing<Obs, Act> extends AECWrapper<Obs, Act> {
  private hasReset = false;

  constructor(
    env: AECEnv<Obs, Act>,
    readonly checkActions = true,
  ) {
    super(env);
  }

  private envId(): string {
    return this.spec?.id ?? this.unwrapped.constructor.name;
  }

  private requireReset(what: string): void {
    if (!this.hasReset) throw new EnvError(`${this.envId()}: ${what} called before reset()`);
  }

  override reset(args?: ResetArgs): void {
    this.env.reset(args);
    this.hasReset = true;
  }

  override observe(agent: string): Obs | null {
    this.requireReset('observe()');
    return this.env.observe(agent);
  }

  override last(observe = true): AECLast<Obs> {
    this.requireReset('last()');
    return this.env.last(observe);
  }

  override step(action: Act | null): void {
    this.requireReset('step()');
    const id = this.envId();
    if (this.agents.length === 0) {
      throw new EnvError(`${id}: step() called with no live agents (episode over); call reset()`);
    }
    const agent = this.agentSelection;
    const done = this.terminations[agent] || this.truncations[agent];
    if (done && action !== null && action !== undefined) {
      throw new EnvError(
        `${id}: agent '${agent}' is terminated or truncated; step it with null, got ${describeValue(action)}`,
      );
    }
    if (!done && this.checkActions && !this.actionSpace(agent).contains(action)) {
      throw new EnvError(
        `${id}: action ${describeValue(action)} for agent '${agent}' is not in its action space ${this.actionSpace(agent)}`,
      );
    }
    this.env.step(done ? null : action);
  }
}
