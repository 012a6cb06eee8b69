import { ConfigError } from '../../../core/index.js';
import type { ParallelEnv } from '../../parallel-env.js';
import { flatdim, flatten, type Space } from '../../spaces/index.js';

/**
 * How the multi-agent learners turn observations into network inputs, and which agents share a
 * network ("group"):
 * - ippo: one group per agent; actor and critic read the agent's own observation.
 * - ppo-shared: one group; inputs are the observation zero-padded to the longest one (SuperSuit's
 *   pad_observations) plus a one-hot agent id; the critic reads the same.
 * - mappo: ppo-shared's actor; the critic reads the global state (env.state(), or every agent's
 *   padded observation concatenated, zeros for agents no longer live) plus the agent id.
 */
export type MarlKind = 'ippo' | 'ppo-shared' | 'mappo';

export interface Group {
  /** Agents served by this group's networks, in possibleAgents order. */
  agents: string[];
  actorDim: number;
  criticDim: number;
  actionSpace: Space<unknown>;
}

export interface LayoutSpec {
  kind: MarlKind;
  agents: readonly string[];
  observationSpaces: Record<string, Space<unknown>>;
  actionSpaces: Record<string, Space<unknown>>;
  agentId: boolean;
  /** Length of the flattened env.state(); null to concatenate observations (mappo only). */
  stateDim: number | null;
}

export class InputLayout {
  readonly groups: Group[];
  readonly padDim: number;
  private readonly index = new Map<string, { group: number; slot: number; id: number }>();
  private readonly obsDims = new Map<string, number>();

  constructor(readonly spec: LayoutSpec) {
    const { kind, agents } = spec;
    if (agents.length === 0) throw new ConfigError(`${kind}: the env has no agents`);
    for (const a of agents) this.obsDims.set(a, flatdim(spec.observationSpaces[a]));
    this.padDim = Math.max(...this.obsDims.values());
    if (kind === 'ippo') {
      this.groups = agents.map((a) => ({
        agents: [a],
        actorDim: this.obsDims.get(a)!,
        criticDim: this.obsDims.get(a)!,
        actionSpace: spec.actionSpaces[a],
      }));
    } else {
      const first = spec.actionSpaces[agents[0]];
      const odd = agents.find((a) => !spec.actionSpaces[a].equals(first));
      if (odd !== undefined) {
        throw new ConfigError(
          `${kind}: one shared policy needs every agent to have the same action space; '${odd}' differs from '${agents[0]}' (use ippo)`,
        );
      }
      const idDim = spec.agentId ? agents.length : 0;
      const actorDim = this.padDim + idDim;
      const stateDim = spec.stateDim ?? this.padDim * agents.length;
      this.groups = [
        {
          agents: [...agents],
          actorDim,
          criticDim: kind === 'mappo' ? stateDim + idDim : actorDim,
          actionSpace: first,
        },
      ];
    }
    this.groups.forEach((g, gi) =>
      g.agents.forEach((a, slot) => this.index.set(a, { group: gi, slot, id: agents.indexOf(a) })),
    );
  }

  /** The agent's group and its position in the group. */
  locate(agent: string): { group: number; slot: number } {
    const where = this.index.get(agent);
    if (!where) {
      throw new ConfigError(
        `${this.spec.kind}: unknown agent '${agent}' (agents: ${this.spec.agents.join(', ')})`,
      );
    }
    return where;
  }

  get centralCritic(): boolean {
    return this.spec.kind === 'mappo';
  }

  /** Write the actor's input for `agent` at `out[offset..]`. */
  writeActorInput(agent: string, obs: unknown, out: Float32Array, offset: number): void {
    const flat = flatten(this.spec.observationSpaces[agent], obs);
    out.set(flat, offset);
    if (this.spec.kind === 'ippo') return;
    out.fill(0, offset + flat.length, offset + this.padDim);
    if (this.spec.agentId) this.writeId(agent, out, offset + this.padDim);
  }

  /**
   * Write mappo's critic input: `global` (from globalInput) then the agent id. Other kinds read
   * the actor's input and never call this.
   */
  writeCriticInput(agent: string, global: Float32Array, out: Float32Array, offset: number): void {
    out.set(global, offset);
    if (this.spec.agentId) this.writeId(agent, out, offset + global.length);
  }

  /** mappo's global input for one env: its state, or the live agents' padded observations. */
  globalInput(
    env: ParallelEnv<unknown, unknown>,
    observations: Record<string, unknown>,
  ): Float32Array {
    if (this.spec.stateDim !== null) {
      const s = flattenState(env.state());
      if (s.length !== this.spec.stateDim) {
        throw new ConfigError(
          `mappo: env.state() has ${s.length} values, expected ${this.spec.stateDim}`,
        );
      }
      return s;
    }
    const out = new Float32Array(this.padDim * this.spec.agents.length);
    this.spec.agents.forEach((a, i) => {
      if (observations[a] !== undefined) {
        out.set(flatten(this.spec.observationSpaces[a], observations[a]), i * this.padDim);
      }
    });
    return out;
  }

  private writeId(agent: string, out: Float32Array, at: number): void {
    const n = this.spec.agents.length;
    out.fill(0, at, at + n);
    out[at + this.index.get(agent)!.id] = 1;
  }
}

/** env.state() as a flat Float32Array; anything else is an error. */
export function flattenState(state: unknown): Float32Array {
  if (state instanceof Float32Array) return state;
  if (ArrayBuffer.isView(state) && !(state instanceof DataView)) {
    return Float32Array.from(state as unknown as ArrayLike<number>);
  }
  if (Array.isArray(state) && state.every((v) => typeof v === 'number')) {
    return Float32Array.from(state);
  }
  throw new ConfigError('mappo: env.state() must return a flat numeric array');
}

/** The length of env.state() after a reset, or null when the env has no usable state(). */
export function probeStateDim(env: ParallelEnv<unknown, unknown>): number | null {
  try {
    return flattenState(env.state()).length;
  } catch {
    return null;
  }
}
