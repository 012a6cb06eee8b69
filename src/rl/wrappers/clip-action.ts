import type { Env } from '../env.js';
import { EnvError } from '../errors.js';
import { Box } from '../spaces/box.js';
import { ActionWrapper } from '../wrapper.js';

/**
 * Gymnasium's ClipAction: continuous actions are clipped into the inner Box, so the wrapper
 * accepts any finite real vector of the right shape (its action space is unbounded).
 */
export class ClipAction<Obs> extends ActionWrapper<Obs, Float32Array, Float32Array> {
  private readonly inner: Box;

  constructor(env: Env<Obs, Float32Array>) {
    super(env);
    if (!(env.actionSpace instanceof Box)) {
      throw new EnvError(`ClipAction: needs a Box action space, got ${env.actionSpace}`);
    }
    this.inner = env.actionSpace;
    this.setActionSpace(new Box(-Infinity, Infinity, this.inner.shape));
  }

  action(a: Float32Array): Float32Array {
    const out = new Float32Array(this.inner.size);
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.min(Math.max(a[i], this.inner.low[i]), this.inner.high[i]);
    }
    return out;
  }
}
