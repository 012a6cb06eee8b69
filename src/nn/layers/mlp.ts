import {
  linearActivation,
  ValueError,
  type FusedActivation,
  type Generator,
  type Tensor,
} from '../../core/index.js';
import { Sequential, type UnaryModule } from '../containers.js';
import { activation, ReLU, Sigmoid, Tanh, type ActivationName } from './activation.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import type { InitOptions } from './options.js';

export interface MLPOptions extends InitOptions {
  /** Between hidden layers (default 'relu'); a name or a factory for a fresh module. */
  activation?: ActivationName | (() => UnaryModule);
  /** Applied after the last Linear too (default none). */
  outputActivation?: ActivationName | (() => UnaryModule);
  bias?: boolean;
  /** Dropout probability after each hidden activation (default 0: no Dropout modules). */
  dropout?: number;
  /** Needed when dropout > 0. */
  dropoutRng?: Generator;
}

/**
 * Linear layers of the given sizes with an activation between them, e.g. the RL agents'
 * `new MLP([4, 64, 64, 2], { activation: 'tanh', rng })`. A Sequential, so parameter names are
 * those of the equivalent torch nn.Sequential: '0.weight', '2.weight', '4.weight'.
 */
export class MLP extends Sequential {
  readonly sizes: readonly number[];

  constructor(sizes: readonly number[], options: MLPOptions = {}) {
    super();
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
      throw new ValueError(
        `MLP: sizes must be at least two positive integers, got [${sizes.join(', ')}]`,
      );
    }
    this.sizes = [...sizes];
    const make = (a: ActivationName | (() => UnaryModule)): UnaryModule =>
      typeof a === 'function' ? a() : activation(a);
    const p = options.dropout ?? 0;
    for (let i = 0; i + 1 < sizes.length; i++) {
      this.append(
        new Linear(sizes[i], sizes[i + 1], {
          bias: options.bias,
          rng: options.rng,
          skipInit: options.skipInit,
          dtype: options.dtype,
        }),
      );
      const last = i + 2 === sizes.length;
      if (!last) {
        this.append(make(options.activation ?? 'relu'));
        if (p > 0) this.append(new Dropout(p, options.dropoutRng));
      } else if (options.outputActivation) {
        this.append(make(options.outputActivation));
      }
    }
  }

  /**
   * As Sequential, but a Linear followed by Tanh, Sigmoid or ReLU runs as one linearActivation
   * (one buffer instead of two, same values and gradients). Exact classes only: a subclass or a
   * replacement module (PEFT) may define its own forward, so it runs as is.
   */
  override forward(x: Tensor): Tensor {
    const items = this.items;
    let h = x;
    for (let i = 0; i < items.length; i++) {
      const m = items[i];
      const act = m.constructor === Linear ? fusedActivation(items[i + 1]) : null;
      if (act) {
        const lin = m as Linear;
        h = linearActivation(h, lin.weight, lin.bias, act);
        i++;
      } else h = m.forward(h);
    }
    return h;
  }
}

function fusedActivation(m: UnaryModule | undefined): FusedActivation | null {
  const c = m?.constructor;
  return c === Tanh ? 'tanh' : c === Sigmoid ? 'sigmoid' : c === ReLU ? 'relu' : null;
}
