import { z } from 'zod';
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../env.js';
import { EnvError } from '../../errors.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import { maybeParseResetBounds } from './reset-bounds.js';

export const MountainCarOptionsSchema = z
  .object({
    /** Gymnasium's `goal_velocity`. */
    goalVelocity: z.number().default(0),
    force: z.number().positive().default(0.001),
    gravity: z.number().positive().default(0.0025),
  })
  .strict();
export type MountainCarOptions = z.input<typeof MountainCarOptionsSchema>;

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;

/**
 * Gymnasium's MountainCar-v0 (Moore 1990): an underpowered car must rock back and forth to
 * reach the hilltop at x = 0.5. Reward -1 per step; 200-step truncation from the registry.
 */
export class MountainCarEnv extends Env<Float32Array, number> {
  readonly observationSpace = new Box([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  readonly actionSpace = new Discrete(3);
  /** position, velocity (float64). */
  readonly state = new Float64Array(2);
  private hasState = false;
  private readonly o: z.infer<typeof MountainCarOptionsSchema>;

  constructor(options: MountainCarOptions = {}) {
    super();
    this.o = MountainCarOptionsSchema.parse(options);
    this.metadata = { renderModes: [], renderFps: 30 };
  }

  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    const [low, high] = maybeParseResetBounds(args?.options, -0.6, -0.4);
    this.state[0] = this.npRandom.uniformRange(low, high);
    this.state[1] = 0;
    this.hasState = true;
    return { observation: Float32Array.from(this.state), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.hasState) throw new EnvError(`${this}: call reset() before step()`);
    let [position, velocity] = this.state;
    velocity += (action - 1) * this.o.force + Math.cos(3 * position) * -this.o.gravity;
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    position += velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0; // inelastic wall on the left
    const terminated = position >= GOAL_POSITION && velocity >= this.o.goalVelocity;
    this.state[0] = position;
    this.state[1] = velocity;
    return {
      observation: Float32Array.from(this.state),
      reward: -1.0,
      terminated,
      truncated: false,
      info: {},
    };
  }
}
