import { layerNorm, ones, ValueError, zeros, type Tensor } from '../../core/index.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import type { FloatDType } from '../../core/index.js';

export interface LayerNormOptions {
  eps?: number;
  /** Learnable weight (ones) and bias (zeros); default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether there is a bias (default true). */
  bias?: boolean;
  dtype?: FloatDType;
}

/** Normalise over the last dim (torch.nn.LayerNorm with one normalised dim). */
export class LayerNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  weight: Parameter | null;
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly [number], options: LayerNormOptions = {}) {
    super();
    const dim = typeof normalizedShape === 'number' ? normalizedShape : normalizedShape[0];
    if (typeof normalizedShape !== 'number' && normalizedShape.length !== 1) {
      throw new ValueError('LayerNorm: only normalisation over the last dim is supported');
    }
    this.normalizedShape = dim;
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? 'float32';
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? new Parameter(ones([dim], { dtype })) : null;
    this.bias = affine && options.bias !== false ? new Parameter(zeros([dim], { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.normalizedShape}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}
