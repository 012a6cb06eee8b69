import { linear, zeros, type Tensor } from '../../core/index.js';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { initRng, type InitOptions } from './options.js';

export interface LinearOptions extends InitOptions {
  bias?: boolean;
}

/**
 * y = x Wᵀ + b with W [out, in] (torch.nn.Linear). Init as torch: W ~ kaiming_uniform(a=sqrt(5)),
 * which is U(-1/sqrt(in), 1/sqrt(in)), and b ~ U(-1/sqrt(in), 1/sqrt(in)).
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias === false ? null : new Parameter(zeros([outFeatures], { dtype }));
    const rng = initRng('Linear', options);
    if (rng) {
      kaimingUniform_(this.weight, rng, { a: Math.sqrt(5) });
      if (this.bias) {
        const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
        uniform_(this.bias, rng, -bound, bound);
      }
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
