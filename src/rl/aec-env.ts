import type { Generator } from '../core/rng.js';
import { ValueError } from '../core/errors.js';
import type { EnvMetadata, EnvSpec, Info, ResetArgs } from './env.js';
import { EnvError } from './errors.js';
import type { AgentDict } from './parallel-env.js';
import { EnvRandom } from './seeding.js';
import type { Space } from './spaces/space.js';

/** What `last()` reports for the selected agent. */
export interface AECLast<Obs> {
  observation: Obs | null;
  /** The agent's reward accumulated since it last acted (PettingZoo's `_cumulative_rewards`). */
  reward: number;
  termination: boolean;
  truncation: boolean;
  info: Info;
}

/** The per-agent bookkeeping an AEC env keeps, as PettingZoo's attributes of the same names. */
interface AECState {
  agents: string[];
  agentSelection: string;
  rewards: AgentDict<number>;
  cumulativeRewards: AgentDict<number>;
  terminations: AgentDict<boolean>;
  truncations: AgentDict<boolean>;
  infos: AgentDict<Info>;
}

/**
 * PettingZoo's `AECEnv` (agent-environment cycle): one agent acts at a time.
 *
 * - `rewards` holds what each agent received from the most recent step only; `cumulativeRewards`
 *   what it gathered since it last acted, which `last()` reports. A step zeroes the acting
 *   agent's cumulative reward first (`this.cumulativeRewards[agent] = 0`), then
 *   `accumulateRewards()` adds the new rewards to everyone.
 * - A terminated or truncated agent stays in `agents` until it is selected and stepped with
 *   `null`, which `wasDeadStep` handles (removing it and moving the selection on).
 */
export abstract class AECEnv<Obs = unknown, Act = unknown> {
  abstract readonly possibleAgents: readonly string[];
  private st: AECState = {
    agents: [],
    agentSelection: '',
    rewards: {},
    cumulativeRewards: {},
    terminations: {},
    truncations: {},
    infos: {},
  };
  private skipAgentSelection: string | null = null;
  private _metadata: EnvMetadata = { renderModes: [] };
  private _spec: EnvSpec | null = null;
  private readonly random = new EnvRandom();

  abstract observationSpace(agent: string): Space<Obs>;
  abstract actionSpace(agent: string): Space<Act>;
  abstract observe(agent: string): Obs | null;
  abstract reset(args?: ResetArgs): void;
  /** Acts for `agentSelection`; `action` must be null if that agent is terminated/truncated. */
  abstract step(action: Act | null): void;

  state(): unknown {
    throw new ValueError(`${this.constructor.name} does not implement state()`);
  }
  render(): unknown {
    return undefined;
  }
  close(): void {}

  last(observe = true): AECLast<Obs> {
    const agent = this.agentSelection;
    if (!this.agents.includes(agent)) {
      throw new EnvError(`${this}: last() called with no live selected agent (did you reset?)`);
    }
    return {
      observation: observe ? this.observe(agent) : null,
      reward: this.cumulativeRewards[agent],
      termination: this.terminations[agent],
      truncation: this.truncations[agent],
      info: this.infos[agent],
    };
  }

  /** Yields the selected agent until no agent is live or `maxIter` selections were made. */
  *agentIter(maxIter = Number.MAX_SAFE_INTEGER): IterableIterator<string> {
    for (let i = 0; i < maxIter && this.agents.length > 0; i++) yield this.agentSelection;
  }

  /** PettingZoo's `_was_dead_step`: removes the selected (dead) agent. */
  protected wasDeadStep(action: Act | null): void {
    if (action !== null && action !== undefined) {
      throw new EnvError(
        `${this}: agent '${this.agentSelection}' is done; the only valid action is null`,
      );
    }
    const agent = this.agentSelection;
    if (!(this.terminations[agent] || this.truncations[agent])) {
      throw new EnvError(`${this}: agent '${agent}' is not done and cannot be removed`);
    }
    for (const d of [
      this.terminations,
      this.truncations,
      this.rewards,
      this.cumulativeRewards,
      this.infos,
    ]) {
      delete d[agent];
    }
    this.agents = this.agents.filter((a) => a !== agent);
    const dead = this.agents.filter((a) => this.terminations[a] || this.truncations[a]);
    if (dead.length > 0) {
      if (this.skipAgentSelection === null) this.skipAgentSelection = agent;
      this.agentSelection = dead[0];
    } else {
      if (this.skipAgentSelection !== null) this.agentSelection = this.skipAgentSelection;
      this.skipAgentSelection = null;
    }
    this.clearRewards();
  }

  /** PettingZoo's `_deads_step_first`: selects a dead agent so it is removed before others act. */
  protected deadsStepFirst(): string {
    const dead = this.agents.filter((a) => this.terminations[a] || this.truncations[a]);
    if (dead.length > 0) {
      this.skipAgentSelection = this.agentSelection;
      this.agentSelection = dead[0];
    }
    return this.agentSelection;
  }

  protected clearRewards(): void {
    for (const a of Object.keys(this.rewards)) this.rewards[a] = 0;
  }

  protected accumulateRewards(): void {
    for (const [a, r] of Object.entries(this.rewards)) {
      this.cumulativeRewards[a] = (this.cumulativeRewards[a] ?? 0) + r;
    }
  }

  /** Forgets a pending dead-step redirection; call from `reset`. */
  protected resetSelectionState(): void {
    this.skipAgentSelection = null;
  }

  protected seedReset(args?: ResetArgs): void {
    this.skipAgentSelection = null;
    if (args?.seed !== undefined && args.seed !== null) this.random.reseed(args.seed);
  }

  get agents(): string[] {
    return this.st.agents;
  }
  set agents(v: string[]) {
    this.st.agents = v;
  }
  get agentSelection(): string {
    return this.st.agentSelection;
  }
  set agentSelection(v: string) {
    this.st.agentSelection = v;
  }
  get rewards(): AgentDict<number> {
    return this.st.rewards;
  }
  set rewards(v: AgentDict<number>) {
    this.st.rewards = v;
  }
  get cumulativeRewards(): AgentDict<number> {
    return this.st.cumulativeRewards;
  }
  set cumulativeRewards(v: AgentDict<number>) {
    this.st.cumulativeRewards = v;
  }
  get terminations(): AgentDict<boolean> {
    return this.st.terminations;
  }
  set terminations(v: AgentDict<boolean>) {
    this.st.terminations = v;
  }
  get truncations(): AgentDict<boolean> {
    return this.st.truncations;
  }
  set truncations(v: AgentDict<boolean>) {
    this.st.truncations = v;
  }
  get infos(): AgentDict<Info> {
    return this.st.infos;
  }
  set infos(v: AgentDict<Info>) {
    this.st.infos = v;
  }
  get numAgents(): number {
    return this.agents.length;
  }
  get maxNumAgents(): number {
    return this.possibleAgents.length;
  }
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
  get npRandom(): Generator {
    return this.random.generator;
  }
  set npRandom(g: Generator) {
    this.random.generator = g;
  }
  get npRandomSeed(): number | null {
    return this.random.seed;
  }
  get unwrapped(): AECEnv<unknown, unknown> {
    return this as AECEnv<unknown, unknown>;
  }

  toString(): string {
    return `<${this.constructor.name}${this.spec ? `<${this.spec.id}>` : ''}>`;
  }
}

/** PettingZoo's `agent_selector`: cycles through a fixed agent order. */
export class AgentSelector {
  private order: string[];
  private index = 0;
  selected = '';

  constructor(order: readonly string[]) {
    this.order = [...order];
  }
  reinit(order: readonly string[]): void {
    this.order = [...order];
    this.index = 0;
    this.selected = '';
  }
  reset(): string {
    this.reinit(this.order);
    return this.next();
  }
  next(): string {
    this.index = (this.index % this.order.length) + 1;
    this.selected = this.order[this.index - 1];
    return this.selected;
  }
  isLast(): boolean {
    return this.selected === this.order[this.order.length - 1];
  }
  isFirst(): boolean {
    return this.selected === this.order[0];
  }
}
