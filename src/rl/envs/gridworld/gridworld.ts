import { z } from 'zod';
import { Env, type Info, type ResetArgs, type ResetResult, type StepResult } from '../../env.js';
import { EnvError } from '../../errors.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import {
  cellAt,
  GOAL,
  moveFrom,
  moveMask,
  parseGrid,
  PIT,
  PRESET_NAMES,
  writeView,
  type Grid,
} from './grid.js';

export const GridWorldOptionsSchema = z
  .object({
    /** A preset name or ASCII rows ('#' wall, '.' floor, 'S' start, 'G' goal, 'X' pit). */
    map: z.union([z.enum(PRESET_NAMES), z.array(z.string().min(1)).min(1)]).default('fourRooms'),
    /** Egocentric view radius (partial observability); null shows the whole grid. */
    viewRadius: z.number().int().nonnegative().max(32).nullable().default(null),
    stepReward: z.number().finite().default(-0.01),
    goalReward: z.number().finite().default(1),
    pitReward: z.number().finite().default(-1),
    /** Probability that the chosen move is replaced by a uniformly random one. */
    slipProbability: z.number().min(0).max(1).default(0),
  })
  .strict();
export type GridWorldOptions = z.input<typeof GridWorldOptionsSchema>;

const CHANNELS = 4; // wall, goal, pit, agent

/**
 * A single-agent gridworld on an ASCII map. Actions 0 left, 1 down, 2 right, 3 up (FrozenLake's
 * order); walls block. Reaching a goal or a pit ends the episode. Observations are one-hot
 * float32 grids [H, W, 4] (or [2r+1, 2r+1, 4] egocentric windows with `viewRadius` r). Infos
 * carry `action_mask` (moves that are not into a wall) for ActionMasking.
 */
export class GridWorldEnv extends Env<Float32Array, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(4);
  readonly grid: Grid;
  private readonly o: z.infer<typeof GridWorldOptionsSchema>;
  private pos = -1;

  constructor(options: GridWorldOptions = {}) {
    super();
    this.o = GridWorldOptionsSchema.parse(options);
    this.grid = parseGrid(this.o.map, 'GridWorld');
    const r = this.o.viewRadius;
    const shape =
      r === null ? [this.grid.rows, this.grid.cols, CHANNELS] : [2 * r + 1, 2 * r + 1, CHANNELS];
    this.observationSpace = new Box(0, 1, shape);
    this.metadata = { renderModes: ['ansi'] };
  }

  /** The agent's cell as [row, column]. */
  get position(): [number, number] {
    return [Math.floor(this.pos / this.grid.cols), this.pos % this.grid.cols];
  }

  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    const starts = this.grid.starts;
    this.pos = starts[this.npRandom.int(starts.length)];
    return { observation: this.observe(), info: this.info() };
  }

  step(action: number): StepResult<Float32Array> {
    if (this.pos < 0) throw new EnvError(`${this}: call reset() before step()`);
    let a = action;
    if (this.o.slipProbability > 0 && this.npRandom.uniform() < this.o.slipProbability) {
      a = this.npRandom.int(4);
    }
    this.pos = moveFrom(this.grid, this.pos, a);
    const kind = this.grid.cells[this.pos];
    const terminated = kind === GOAL || kind === PIT;
    const reward =
      kind === GOAL ? this.o.goalReward : kind === PIT ? this.o.pitReward : this.o.stepReward;
    return { observation: this.observe(), reward, terminated, truncated: false, info: this.info() };
  }

  override render(): string {
    const [pr, pc] = this.position;
    return this.grid.lines
      .map((line, r) => (r === pr ? `${line.slice(0, pc)}A${line.slice(pc + 1)}` : line))
      .join('\n');
  }

  private info(): Info {
    return { action_mask: moveMask(this.grid, this.pos) };
  }

  private observe(): Float32Array {
    const out = new Float32Array(this.observationSpace.size);
    const r = this.o.viewRadius;
    if (r !== null) {
      writeView(this.grid, this.pos, r, CHANNELS, out);
      out[(r * (2 * r + 1) + r) * CHANNELS + 3] = 1;
      return out;
    }
    const g = this.grid;
    for (let i = 0; i < g.rows * g.cols; i++) {
      const kind = cellAt(g, Math.floor(i / g.cols), i % g.cols);
      if (kind !== 0) out[i * CHANNELS + kind - 1] = 1;
    }
    out[this.pos * CHANNELS + 3] = 1;
    return out;
  }
}
