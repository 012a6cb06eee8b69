import { ValueError } from '../../core/errors.js';
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.js';
import { EnvError } from '../errors.js';
import { Box } from '../spaces/box.js';
import { Wrapper } from '../wrapper.js';

/**
 * Gymnasium 1.x FrameStackObservation for Box observations: the last `stackSize` observations
 * stacked on a new leading axis (shape [stackSize, ...obsShape]). Before enough steps the stack
 * is padded with the reset observation ("reset", Gymnasium's default) or zeros ("zero").
 */
export class FrameStackObservation<Act> extends Wrapper<Float32Array, Act> {
  private readonly frames: Float32Array[] = [];
  private readonly frameSize: number;

  constructor(
    env: Env<Float32Array, Act>,
    readonly stackSize: number,
    readonly paddingType: 'reset' | 'zero' = 'reset',
  ) {
    super(env);
    if (!Number.isInteger(stackSize) || stackSize < 1) {
      throw new ValueError(
        `FrameStackObservation: stackSize must be a positive integer, got ${stackSize}`,
      );
    }
    const space = env.observationSpace;
    if (!(space instanceof Box)) {
      throw new EnvError(`FrameStackObservation: needs a Box observation space, got ${space}`);
    }
    this.frameSize = space.size;
    const low = new Float32Array(stackSize * space.size);
    const high = new Float32Array(stackSize * space.size);
    for (let i = 0; i < stackSize; i++) {
      low.set(space.low, i * space.size);
      high.set(space.high, i * space.size);
    }
    this.setObservationSpace(new Box(low, high, [stackSize, ...space.shape]));
  }

  override reset(args?: ResetArgs): ResetResult<Float32Array> {
    const { observation, info } = this.env.reset(args);
    const pad = this.paddingType === 'reset' ? observation : new Float32Array(this.frameSize);
    this.frames.length = 0;
    for (let i = 0; i < this.stackSize - 1; i++) this.frames.push(Float32Array.from(pad));
    this.frames.push(Float32Array.from(observation));
    return { observation: this.stacked(), info };
  }

  override step(action: Act): StepResult<Float32Array> {
    const r = this.env.step(action);
    this.frames.push(Float32Array.from(r.observation));
    this.frames.shift();
    return { ...r, observation: this.stacked() };
  }

  private stacked(): Float32Array {
    const out = new Float32Array(this.stackSize * this.frameSize);
    this.frames.forEach((f, i) => out.set(f, i * this.frameSize));
    return out;
  }
}
