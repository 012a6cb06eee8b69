import { z } from 'zod';
import { ConfigError } from '../../../core/errors.js';
import type { Info, ResetArgs } from '../../env.js';
import { EnvError } from '../../errors.js';
import {
  ParallelEnv,
  type AgentDict,
  type ParallelResetResult,
  type ParallelStepResult,
} from '../../parallel-env.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import {
  GOAL,
  moveFrom,
  moveMask,
  parseGrid,
  PIT,
  PRESET_NAMES,
  writeView,
  type Grid,
} from './grid.js';

export const MultiGridWorldOptionsSchema = z
  .object({
    map: z.union([z.enum(PRESET_NAMES), z.array(z.string().min(1)).min(1)]).default('arena8'),
    numAgents: z.number().int().min(1).max(64).default(2),
    viewRadius: z.number().int().nonnegative().max(32).default(2),
    stepReward: z.number().finite().default(-0.01),
    goalReward: z.number().finite().default(1),
    pitReward: z.number().finite().default(-1),
    /** Every live agent is truncated after this many steps (PettingZoo's max_cycles). */
    maxCycles: z.number().int().positive().default(100),
  })
  .strict();
export type MultiGridWorldOptions = z.input<typeof MultiGridWorldOptionsSchema>;

const CHANNELS = 5; // wall, goal, pit, other agents, self

/**
 * A parallel multi-agent gridworld for fast MARL tests. Agents `agent_0..` start on 'S' cells
 * (random distinct floor cells when there are too few), move as in GridWorld, and leave the
 * episode on reaching a goal or pit. Moves resolve in agent order and a move into a cell held
 * by another agent is blocked. Observations are egocentric [2r+1, 2r+1, 5] windows; `state()`
 * is the whole grid [H, W, 4] with an agent-count channel.
 */
export class MultiGridWorldEnv extends ParallelEnv<Float32Array, number> {
  readonly possibleAgents: readonly string[];
  readonly grid: Grid;
  private readonly o: z.infer<typeof MultiGridWorldOptionsSchema>;
  private readonly obsSpace: Box;
  private readonly actSpace = new Discrete(4);
  private readonly positions = new Map<string, number>();
  private cycles = 0;

  constructor(options: MultiGridWorldOptions = {}) {
    super();
    this.o = MultiGridWorldOptionsSchema.parse(options);
    this.grid = parseGrid(this.o.map, 'MultiGridWorld');
    if (this.grid.floor.length < this.o.numAgents) {
      throw new ConfigError(
        `MultiGridWorld: ${this.o.numAgents} agents do not fit on ${this.grid.floor.length} floor cells`,
      );
    }
    this.possibleAgents = Object.freeze(
      Array.from({ length: this.o.numAgents }, (_, i) => `agent_${i}`),
    );
    const side = 2 * this.o.viewRadius + 1;
    this.obsSpace = new Box(0, 1, [side, side, CHANNELS]);
    this.metadata = { renderModes: ['ansi'], name: 'MultiGridWorld-v0' };
  }

  observationSpace(agent: string): Box {
    this.checkAgent(agent);
    return this.obsSpace;
  }

  actionSpace(agent: string): Discrete {
    this.checkAgent(agent);
    return this.actSpace;
  }

  reset(args?: ResetArgs): ParallelResetResult<Float32Array> {
    this.seedReset(args);
    const g = this.grid;
    const pool = g.starts.length >= this.o.numAgents ? g.starts : g.floor;
    const order = this.npRandom.permutation(pool.length);
    this.positions.clear();
    this.possibleAgents.forEach((a, i) => this.positions.set(a, pool[order[i]]));
    this.agents = [...this.possibleAgents];
    this.cycles = 0;
    const observations: AgentDict<Float32Array> = {};
    const infos: AgentDict<Info> = {};
    for (const a of this.agents) {
      observations[a] = this.observe(a);
      infos[a] = this.info(a);
    }
    return { observations, infos };
  }

  step(actions: AgentDict<number>): ParallelStepResult<Float32Array> {
    if (this.agents.length === 0)
      throw new EnvError(`${this}: step() with no live agents; reset()`);
    const acting = [...this.agents];
    const occupied = new Set(acting.map((a) => this.positions.get(a)!));
    const rewards: AgentDict<number> = {};
    const terminations: AgentDict<boolean> = {};
    const truncations: AgentDict<boolean> = {};
    this.cycles++;
    for (const a of acting) {
      const action = actions[a];
      if (!this.actSpace.contains(action)) {
        throw new EnvError(
          `${this}: action ${String(action)} for '${a}' is not in ${this.actSpace}`,
        );
      }
      const from = this.positions.get(a)!;
      let to = moveFrom(this.grid, from, action);
      if (to !== from && occupied.has(to)) to = from;
      const kind = this.grid.cells[to];
      const done = kind === GOAL || kind === PIT;
      occupied.delete(from);
      // An agent that finished frees its cell at once, so several agents may reach one goal.
      if (!done) occupied.add(to);
      this.positions.set(a, to);
      rewards[a] =
        kind === GOAL ? this.o.goalReward : kind === PIT ? this.o.pitReward : this.o.stepReward;
      terminations[a] = done;
      truncations[a] = !done && this.cycles >= this.o.maxCycles;
    }
    const observations: AgentDict<Float32Array> = {};
    const infos: AgentDict<Info> = {};
    for (const a of acting) {
      observations[a] = this.observe(a);
      infos[a] = this.info(a);
    }
    this.agents = acting.filter((a) => !terminations[a] && !truncations[a]);
    for (const a of acting) if (!this.agents.includes(a)) this.positions.delete(a);
    return { observations, rewards, terminations, truncations, infos };
  }

  /** The whole grid, one-hot [H, W, 4]: wall, goal, pit, number of live agents. */
  override state(): Float32Array {
    const g = this.grid;
    const out = new Float32Array(g.rows * g.cols * 4);
    for (let i = 0; i < g.cells.length; i++) if (g.cells[i] !== 0) out[i * 4 + g.cells[i] - 1] = 1;
    for (const p of this.positions.values()) out[p * 4 + 3] += 1;
    return out;
  }

  override render(): string {
    const g = this.grid;
    const chars = g.lines.map((l) => l.split(''));
    this.agents.forEach((a, k) => {
      const p = this.positions.get(a)!;
      chars[Math.floor(p / g.cols)][p % g.cols] = String(k % 10);
    });
    return chars.map((row) => row.join('')).join('\n');
  }

  private checkAgent(agent: string): void {
    if (!this.possibleAgents.includes(agent)) {
      throw new EnvError(
        `${this}: unknown agent '${agent}' (agents: ${this.possibleAgents.join(', ')})`,
      );
    }
  }

  private info(agent: string): Info {
    return { action_mask: moveMask(this.grid, this.positions.get(agent)!) };
  }

  private observe(agent: string): Float32Array {
    const r = this.o.viewRadius;
    const side = 2 * r + 1;
    const out = new Float32Array(side * side * CHANNELS);
    const pos = this.positions.get(agent)!;
    writeView(this.grid, pos, r, CHANNELS, out);
    const pr = Math.floor(pos / this.grid.cols);
    const pc = pos % this.grid.cols;
    for (const [other, p] of this.positions) {
      if (other === agent) continue;
      const dr = Math.floor(p / this.grid.cols) - pr + r;
      const dc = (p % this.grid.cols) - pc + r;
      if (dr >= 0 && dr < side && dc >= 0 && dc < side) out[(dr * side + dc) * CHANNELS + 3] = 1;
    }
    out[(r * side + r) * CHANNELS + 4] = 1;
    return out;
  }
}
