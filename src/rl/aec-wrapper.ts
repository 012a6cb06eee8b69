import type { Generator } from '../core/rng.js';
import { AECEnv, type AECLast } from './aec-env.js';
import type { EnvMetadata, EnvSpec, Info, ResetArgs } from './env.js';
import type { AgentDict } from './parallel-env.js';
import type { Space } from './spaces/space.js';

/** PettingZoo's `BaseWrapper` for AEC envs: every attribute reads and writes through to `env`. */
export class AECWrapper<Obs, Act> extends AECEnv<Obs, Act> {
  constructor(readonly env: AECEnv<Obs, Act>) {
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
    return this.env.observe(agent);
  }
  reset(args?: ResetArgs): void {
    this.env.reset(args);
  }
  step(action: Act | null): void {
    this.env.step(action);
  }
  override last(observe = true): AECLast<Obs> {
    return this.env.last(observe);
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
  override set agents(v: string[]) {
    this.env.agents = v;
  }
  override get agentSelection(): string {
    return this.env.agentSelection;
  }
  override set agentSelection(v: string) {
    this.env.agentSelection = v;
  }
  override get rewards(): AgentDict<number> {
    return this.env.rewards;
  }
  override set rewards(v: AgentDict<number>) {
    this.env.rewards = v;
  }
  override get cumulativeRewards(): AgentDict<number> {
    return this.env.cumulativeRewards;
  }
  override set cumulativeRewards(v: AgentDict<number>) {
    this.env.cumulativeRewards = v;
  }
  override get terminations(): AgentDict<boolean> {
    return this.env.terminations;
  }
  override set terminations(v: AgentDict<boolean>) {
    this.env.terminations = v;
  }
  override get truncations(): AgentDict<boolean> {
    return this.env.truncations;
  }
  override set truncations(v: AgentDict<boolean>) {
    this.env.truncations = v;
  }
  override get infos(): AgentDict<Info> {
    return this.env.infos;
  }
  override set infos(v: AgentDict<Info>) {
    this.env.infos = v;
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
  override get unwrapped(): AECEnv<unknown, unknown> {
    return this.env.unwrapped;
  }
  override toString(): string {
    return `<${this.constructor.name}${this.env.toString()}>`;
  }
}
