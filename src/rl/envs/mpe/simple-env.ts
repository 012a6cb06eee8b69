/**
 * The ParallelEnv shell shared by the MPE scenarios, restating PettingZoo's `SimpleEnv` run
 * through its parallel wrapper: all agents act at once, the world steps, rewards mix the
 * scenario's global and local parts, and after `maxCycles` steps every agent is truncated and
 * removed from `agents`.
 *
 * Spaces (per agent, as PettingZoo): observations Box(-inf, inf, [obsDim]) float32; actions
 * Discrete(5 * dimC) / Discrete(5) / Discrete(dimC) for a movable speaking / movable silent /
 * immovable speaking agent, or with `continuousActions` Box(0, 1, [5 + dimC]) and so on (see
 * `setAction` in core.ts for the meaning of each component).
 *
 * Reward of agent i: `globalReward * (1 - localRatio) + reward_i * localRatio` when the scenario
 * has a global reward and a localRatio is set, else `reward_i`.
 *
 * Tests and golden checks can fix the initial state: `reset({ options: { initialState } })`
 * overrides positions (and velocities, the speaker's goal) after the random draw.
 */
import { ValueError } from '../../../core/errors.js';
import type { Info, ResetArgs } from '../../env.js';
import { EnvError, describeValue } from '../../errors.js';
import {
  ParallelEnv,
  type AgentDict,
  type ParallelResetResult,
  type ParallelStepResult,
} from '../../parallel-env.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import type { Space } from '../../spaces/space.js';
import { actionDim, setAction, type Agent } from './core.js';
import { SimpleSpeakerListenerScenario, type Scenario } from './scenarios.js';

/** An MPE action: an integer for discrete spaces, a vector in [0, 1] for continuous ones. */
export type MpeAction = number | ArrayLike<number>;

export interface MpeEnvOptions {
  maxCycles: number;
  continuousActions: boolean;
  /** Weight of the local reward; null when the scenario has no global part. */
  localRatio: number | null;
}

/** Positions to start from instead of the random draw (any field may be left out). */
export interface MpeInitialState {
  /** One entry per agent, in `possibleAgents` order. */
  agents?: { pos: ArrayLike<number>; vel?: ArrayLike<number> }[];
  landmarks?: { pos: ArrayLike<number> }[];
  /** Goal landmark index (speaker-listener only). */
  goal?: number;
}

export class MpeParallelEnv extends ParallelEnv<Float32Array, MpeAction> {
  readonly possibleAgents: readonly string[];
  private readonly agentByName = new Map<string, Agent>();
  private readonly obsSpaces = new Map<string, Box>();
  private readonly actSpaces = new Map<string, Space<MpeAction>>();
  private readonly obsDims = new Map<string, number>();
  private steps = 0;
  private wasReset = false;

  constructor(
    readonly scenario: Scenario,
    readonly options: MpeEnvOptions,
    readonly name: string,
  ) {
    super();
    if (!Number.isInteger(options.maxCycles) || options.maxCycles < 1) {
      throw new ValueError(
        `${name}: maxCycles must be a positive integer, got ${options.maxCycles}`,
      );
    }
    if (options.localRatio !== null && !(options.localRatio >= 0 && options.localRatio <= 1)) {
      throw new ValueError(`${name}: localRatio must lie in [0, 1], got ${options.localRatio}`);
    }
    const world = scenario.world;
    this.possibleAgents = Object.freeze(world.agents.map((a) => a.name));
    for (const agent of world.agents) {
      this.agentByName.set(agent.name, agent);
      const dim = scenario.obsDim(agent);
      this.obsDims.set(agent.name, dim);
      this.obsSpaces.set(agent.name, new Box(-Infinity, Infinity, [dim]));
      const n = actionDim(agent, world.dimC, options.continuousActions);
      const space = options.continuousActions ? new Box(0, 1, [n]) : new Discrete(n);
      this.actSpaces.set(agent.name, space as Space<MpeAction>);
    }
    this.metadata = { renderModes: [], name, isParallelizable: true };
  }

  observationSpace(agent: string): Box {
    const s = this.obsSpaces.get(agent);
    if (!s) throw new EnvError(`${this}: unknown agent '${agent}'`);
    return s;
  }

  actionSpace(agent: string): Space<MpeAction> {
    const s = this.actSpaces.get(agent);
    if (!s) throw new EnvError(`${this}: unknown agent '${agent}'`);
    return s;
  }

  /** Number of world steps taken in this episode. */
  get cycles(): number {
    return this.steps;
  }

  reset(args?: ResetArgs): ParallelResetResult<Float32Array> {
    this.seedReset(args);
    const rng = this.npRandom;
    this.scenario.world.rng = rng;
    this.scenario.resetWorld(rng);
    const initial = args?.options?.initialState;
    if (initial !== undefined) this.applyInitialState(initial);
    this.steps = 0;
    this.wasReset = true;
    this.agents = [...this.possibleAgents];
    const observations: AgentDict<Float32Array> = {};
    const infos: AgentDict<Info> = {};
    for (const name of this.agents) {
      observations[name] = this.observe(name);
      infos[name] = {};
    }
    return { observations, infos };
  }

  step(actions: AgentDict<MpeAction>): ParallelStepResult<Float32Array> {
    if (!this.wasReset) throw new EnvError(`${this}: step() called before reset()`);
    const live = this.agents;
    if (live.length === 0) {
      throw new EnvError(`${this}: step() called after the episode ended; call reset()`);
    }
    if (actions === null || typeof actions !== 'object') {
      throw new EnvError(
        `${this}: actions must be a dict keyed by agent, got ${describeValue(actions)}`,
      );
    }
    for (const key of Object.keys(actions)) {
      if (!this.agentByName.has(key) || !live.includes(key)) {
        throw new EnvError(`${this}: action given for '${key}', which is not a live agent`);
      }
    }
    const continuous = this.options.continuousActions;
    for (const name of live) {
      const action = actions[name];
      if (!Object.prototype.hasOwnProperty.call(actions, name) || action === undefined) {
        throw new EnvError(`${this}: no action for live agent '${name}'`);
      }
      this.checkAction(name, action);
      setAction(this.agentByName.get(name)!, action, continuous);
    }
    const world = this.scenario.world;
    world.step();
    this.steps += 1;

    const lr = this.options.localRatio;
    const mix = lr !== null && this.scenario.globalReward !== undefined;
    const global = mix ? this.scenario.globalReward!() : 0;
    const truncated = this.steps >= this.options.maxCycles;
    const observations: AgentDict<Float32Array> = {};
    const rewards: AgentDict<number> = {};
    const terminations: AgentDict<boolean> = {};
    const truncations: AgentDict<boolean> = {};
    const infos: AgentDict<Info> = {};
    for (const name of live) {
      const local = this.scenario.reward(this.agentByName.get(name)!);
      rewards[name] = mix ? global * (1 - lr) + local * lr : local;
      observations[name] = this.observe(name);
      terminations[name] = false;
      truncations[name] = truncated;
      infos[name] = {};
    }
    if (truncated) this.agents = [];
    return { observations, rewards, terminations, truncations, infos };
  }

  /** The agent's current observation, a fresh Float32Array. */
  observe(agent: string): Float32Array {
    const a = this.agentByName.get(agent);
    if (!a) throw new EnvError(`${this}: unknown agent '${agent}'`);
    const out = new Float32Array(this.obsDims.get(agent)!);
    this.scenario.observe(a, out, 0);
    return out;
  }

  /** PettingZoo's `state()`: every possible agent's observation, concatenated. */
  override state(): Float32Array {
    let total = 0;
    for (const name of this.possibleAgents) total += this.obsDims.get(name)!;
    const out = new Float32Array(total);
    let o = 0;
    for (const name of this.possibleAgents) {
      this.scenario.observe(this.agentByName.get(name)!, out, o);
      o += this.obsDims.get(name)!;
    }
    return out;
  }

  private checkAction(name: string, action: MpeAction): void {
    const space = this.actSpaces.get(name)!;
    if (space.contains(action)) return;
    // Continuous actions just outside [0, 1] are clipped (PettingZoo's ClipOutOfBoundsWrapper);
    // wrong lengths, NaN and non-numbers are errors.
    if (space instanceof Box && isFiniteVector(action, space.size)) return;
    throw new EnvError(
      `${this}: action ${describeValue(action)} for '${name}' is not in ${space.toString()}`,
    );
  }

  private applyInitialState(raw: unknown): void {
    const state = raw as MpeInitialState;
    const world = this.scenario.world;
    const bad = (what: string): never => {
      throw new EnvError(`${this}: options.initialState.${what} is invalid`);
    };
    if (state === null || typeof state !== 'object') bad('(root)');
    if (state.agents !== undefined) {
      if (!Array.isArray(state.agents) || state.agents.length !== world.agents.length)
        bad('agents');
      state.agents.forEach((s, i) => {
        const agent = world.agents[i];
        if (!isFiniteVector(s?.pos, 2)) bad(`agents[${i}].pos`);
        agent.pos.set(Array.from(s.pos));
        if (s.vel !== undefined) {
          if (!isFiniteVector(s.vel, 2)) bad(`agents[${i}].vel`);
          agent.vel.set(Array.from(s.vel));
        }
      });
    }
    if (state.landmarks !== undefined) {
      if (!Array.isArray(state.landmarks) || state.landmarks.length !== world.landmarks.length) {
        bad('landmarks');
      }
      state.landmarks.forEach((s, i) => {
        if (!isFiniteVector(s?.pos, 2)) bad(`landmarks[${i}].pos`);
        world.landmarks[i].pos.set(Array.from(s.pos));
      });
    }
    if (state.goal !== undefined) {
      const sc = this.scenario;
      if (!(sc instanceof SimpleSpeakerListenerScenario)) bad('goal (no goal in this scenario)');
      const s = sc as SimpleSpeakerListenerScenario;
      if (!Number.isInteger(state.goal) || state.goal < 0 || state.goal >= world.landmarks.length) {
        bad('goal');
      }
      s.setGoal(state.goal);
    }
  }

  override toString(): string {
    return `<MpeParallelEnv<${this.spec?.id ?? this.name}>>`;
  }
}

function isFiniteVector(x: unknown, n: number): x is ArrayLike<number> {
  if (x === null || typeof x !== 'object') return false;
  const v = x as ArrayLike<number>;
  if (v.length !== n) return false;
  for (let i = 0; i < n; i++) if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) return false;
  return true;
}
