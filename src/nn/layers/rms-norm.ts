import { ones, rmsNorm, type FloatDType, type Tensor } from '../../core/index.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

export interface RMSNormOptions {
  /** Default 1e-6 (Llama's rms_norm_eps is read from its config). */
  eps?: number;
  /** A learnable weight (ones); default true. */
  elementwiseAffine?: boolean;
  dtype?: FloatDType;
}

/** x / sqrt(mean(x²) + eps) * weight over the last dim (Llama's RMSNorm, torch.nn.RMSNorm). */
export class RMSNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  weight: Parameter | null;

  constructor(dim: number, options: RMSNormOptions = {}) {
    super();
    this.normalizedShape = dim;
    this.eps = options.eps ?? 1e-6;
    this.weight =
      options.elementwiseAffine === false
        ? null
        : new Parameter(ones([dim], { dtype: options.dtype ?? 'float32' }));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }

  override extraRepr(): string {
    return `${this.normalizedShape}, eps=${this.eps}`;
  }
}
