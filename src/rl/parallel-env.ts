import type { Generator } from '../core/rng.js';
import { ValueError } from '../core/errors.js';
import type { EnvMetadata, EnvSpec, Info, ResetArgs } from './env.js';
import { EnvRandom } from './seeding.js';
import type { Space } from './spaces/space.js';

/** Per-agent values keyed by agent name (PettingZoo's dicts). */
export type AgentDict<T> = Record<string, T>;

export interface ParallelResetResult<Obs> {
  observations: AgentDict<Obs>;
  infos: AgentDict<Info>;
}

/**
 * Result of a parallel step. Every dict is keyed by the agents that were live when the step
 * began (those that acted), including agents that finish in this step; afterwards `agents`
 * holds only the ones still live.
 */
export interface ParallelStepResult<Obs> {
  observations: AgentDict<Obs>;
  rewards: AgentDict<number>;
  terminations: AgentDict<boolean>;
  truncations: AgentDict<boolean>;
  infos: AgentDict<Info>;
}

/**
 * PettingZoo's `ParallelEnv`: all live agents act at once. Subclasses call `this.seedReset(args)`
 * first in `reset`, set `this.agents` (live agents, a subset of `possibleAgents`) and remove an
 * agent from it after the step in which it terminated or was truncated.
 */
export abstract class ParallelEnv<Obs = unknown, Act = unknown> {
  abstract readonly possibleAgents: readonly string[];
  private _agents: string[] = [];
  private _metadata: EnvMetadata = { renderModes: [] };
  private _spec: EnvSpec | null = null;
  private readonly random = new EnvRandom();

  abstract observationSpace(agent: string): Space<Obs>;
  abstract actionSpace(agent: string): Space<Act>;
  abstract reset(args?: ResetArgs): ParallelResetResult<Obs>;
  abstract step(actions: AgentDict<Act>): ParallelStepResult<Obs>;

  /** A global view of the environment, for centralised critics; optional (PettingZoo's state). */
  state(): unknown {
    throw new ValueError(`${this.constructor.name} does not implement state()`);
  }
  render(): unknown {
    return undefined;
  }
  close(): void {}

  /** Live agents, in a stable order. */
  get agents(): string[] {
    return this._agents;
  }
  set agents(a: string[]) {
    this._agents = a;
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
  get unwrapped(): ParallelEnv<unknown, unknown> {
    return this as ParallelEnv<unknown, unknown>;
  }

  protected seedReset(args?: ResetArgs): void {
    if (args?.seed !== undefined && args.seed !== null) this.random.reseed(args.seed);
  }

  toString(): string {
    return `<${this.constructor.name}${this.spec ? `<${this.spec.id}>` : ''}>`;
  }
}

/** PettingZoo's `BaseParallelWrapper`: forwards everything to `env`. */
export class ParallelWrapper<Obs, Act> extends ParallelEnv<Obs, Act> {
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
  reset(args?: ResetArgs): ParallelResetResult<Obs> {
    return this.env.reset(args);
  }
  step(actions: AgentDict<Act>): ParallelStepResult<Obs> {
    return this.env.step(actions);
  }
  override state(): unknown {
    return this.env.state();
  }
  override render(): unknown {
    return this.env.render();
  }
  override close(): void {
    this.env.close();
  }
  override get agents(): string[] {
    return this.env.agents;
  }
  override set agents(a: string[]) {
    this.env.agents = a;
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
  override get unwrapped(): ParallelEnv<unknown, unknown> {
    return this.env.unwrapped;
  }
  override toString(): string {
    return `<${this.constructor.name}${this.env.toString()}>`;
  }
}
