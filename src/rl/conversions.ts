import type { Generator } from '../core/rng.js';
import { AECEnv, AgentSelector } from './aec-env.js';
import type { EnvMetadata, Info, ResetArgs } from './env.js';
import { describeValue, EnvError } from './errors.js';
import {
  ParallelEnv,
  type AgentDict,
  type ParallelResetResult,
  type ParallelStepResult,
} from './parallel-env.js';
import type { Space } from './spaces/space.js';

/*
 * PettingZoo's conversion wrappers (pettingzoo.utils.conversions), statement for statement, so
 * that converted envs pass the same API tests and give the same rewards as PettingZoo's.
 */

/** An AEC view of a parallel env: agents act one by one, the parallel step runs on the last. */
export function parallelToAec<Obs, Act>(env: ParallelEnv<Obs, Act>): AECEnv<Obs, Act> {
  return new ParallelToAECWrapper(env);
}

/** A parallel view of an AEC env whose agents act in a fixed cycle and die only at its end. */
export function aecToParallel<Obs, Act>(env: AECEnv<Obs, Act>): ParallelEnv<Obs, Act> {
  return new AECToParallelWrapper(env);
}

export class ParallelToAECWrapper<Obs, Act> extends AECEnv<Obs, Act> {
  private observations: AgentDict<Obs> = {};
  private actions: AgentDict<Act | null> = {};
  private selector = new AgentSelector([]);

  constructor(readonly env: ParallelEnv<Obs, Act>) {
    super();
  }

  get possibleAgents(): readonly string[] {
    return this.env.possibleAgents;
  }
  observationSpace(agent: string): Space<Obs> {
    return this.env.observationSpace(agent);
  }
  actionSpace(agent: string): Space<Act> {
    return this.env.actionSpace(agent);
  }
  observe(agent: string): Obs | null {
    return this.observations[agent] ?? null;
  }
  override state(): unknown {
    return this.env.state();
  }
  override close(): void {
    this.env.close();
  }

  reset(args?: ResetArgs): void {
    this.resetSelectionState();
    const { observations, infos } = this.env.reset(args);
    this.observations = observations;
    this.agents = [...this.env.agents];
    this.actions = Object.fromEntries(this.agents.map((a) => [a, null]));
    this.selector = new AgentSelector(this.agents);
    this.agentSelection = this.selector.reset();
    this.terminations = Object.fromEntries(this.agents.map((a) => [a, false]));
    this.truncations = Object.fromEntries(this.agents.map((a) => [a, false]));
    this.rewards = Object.fromEntries(this.agents.map((a) => [a, 0]));
    this.cumulativeRewards = Object.fromEntries(this.agents.map((a) => [a, 0]));
    const missing = this.agents.filter((a) => !Object.hasOwn(infos, a));
    if (missing.length > 0) {
      throw new EnvError(`${this}: reset() infos lack agent(s) ${missing.join(', ')}`);
    }
    this.infos = { ...infos };
  }

  step(action: Act | null): void {
    const agent = this.agentSelection;
    if (this.terminations[agent] || this.truncations[agent]) {
      delete this.actions[agent];
      this.wasDeadStep(action);
      return;
    }
    this.actions[agent] = action;
    if (this.selector.isLast()) {
      const r = this.env.step(this.actions as AgentDict<Act>);
      this.observations = { ...r.observations };
      this.terminations = { ...r.terminations };
      this.truncations = { ...r.truncations };
      this.infos = { ...r.infos };
      this.rewards = { ...r.rewards };
      this.cumulativeRewards = { ...r.rewards };
      const live = new Set(this.env.agents);
      const justDone = Object.keys(this.observations)
        .filter((a) => !live.has(a))
        .sort();
      this.agents = [...this.env.agents, ...justDone];
      if (this.env.agents.length > 0) {
        this.selector = new AgentSelector(this.env.agents);
        this.agentSelection = this.selector.reset();
      }
      this.deadsStepFirst();
    } else {
      if (this.selector.isFirst()) this.clearRewards();
      this.agentSelection = this.selector.next();
    }
  }

  override get metadata(): EnvMetadata {
    return this.env.metadata;
  }
  override set metadata(m: EnvMetadata) {
    this.env.metadata = m;
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
  override toString(): string {
    return `<parallelToAec${this.env.toString()}>`;
  }
}

export class AECToParallelWrapper<Obs, Act> extends ParallelEnv<Obs, Act> {
  constructor(readonly aecEnv: AECEnv<Obs, Act>) {
    super();
  }

  get possibleAgents(): readonly string[] {
    return this.aecEnv.possibleAgents;
  }
  observationSpace(agent: string): Space<Obs> {
    return this.aecEnv.observationSpace(agent);
  }
  actionSpace(agent: string): Space<Act> {
    return this.aecEnv.actionSpace(agent);
  }
  override state(): unknown {
    return this.aecEnv.state();
  }
  override close(): void {
    this.aecEnv.close();
  }

  reset(args?: ResetArgs): ParallelResetResult<Obs> {
    const aec = this.aecEnv;
    aec.reset(args);
    this.agents = [...aec.agents];
    const observations: AgentDict<Obs> = {};
    for (const a of aec.agents) {
      if (!(aec.terminations[a] || aec.truncations[a])) observations[a] = aec.observe(a) as Obs;
    }
    return { observations, infos: { ...aec.infos } };
  }

  step(actions: AgentDict<Act>): ParallelStepResult<Obs> {
    const aec = this.aecEnv;
    const rewards: AgentDict<number> = {};
    for (const agent of [...aec.agents]) {
      if (agent !== aec.agentSelection) {
        const why =
          aec.terminations[agent] || aec.truncations[agent]
            ? 'expects agents to die only at the end of a cycle'
            : 'expects agents to step in a cycle';
        throw new EnvError(
          `${this}: expected agent '${agent}', got '${aec.agentSelection}'; aecToParallel ${why}`,
        );
      }
      if (!Object.hasOwn(actions, agent)) {
        throw new EnvError(`${this}: no action for agent '${agent}' in ${describeValue(actions)}`);
      }
      aec.step(actions[agent]);
      for (const a of aec.agents) rewards[a] = (rewards[a] ?? 0) + aec.rewards[a];
    }
    const terminations = { ...aec.terminations };
    const truncations = { ...aec.truncations };
    const infos: AgentDict<Info> = { ...aec.infos };
    const observations: AgentDict<Obs> = {};
    for (const a of aec.agents) observations[a] = aec.observe(a) as Obs;
    while (
      aec.agents.length > 0 &&
      (aec.terminations[aec.agentSelection] || aec.truncations[aec.agentSelection])
    ) {
      aec.step(null);
    }
    this.agents = [...aec.agents];
    return { observations, rewards, terminations, truncations, infos };
  }

  override get metadata(): EnvMetadata {
    return this.aecEnv.metadata;
  }
  override set metadata(m: EnvMetadata) {
    this.aecEnv.metadata = m;
  }
  override get npRandom(): Generator {
    return this.aecEnv.npRandom;
  }
  override set npRandom(g: Generator) {
    this.aecEnv.npRandom = g;
  }
  override get npRandomSeed(): number | null {
    return this.aecEnv.npRandomSeed;
  }
  override toString(): string {
    return `<aecToParallel${this.aecEnv.toString()}>`;
  }
}
