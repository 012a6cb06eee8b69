import { gelu, relu, silu, tanh, type Tensor } from '../../core/index.js';

/** Hugging Face's ACT2FN names that the families accept in their configs. */
export const HF_ACTIVATIONS = [
  'gelu',
  'gelu_new',
  'gelu_pytorch_tanh',
  'gelu_fast',
  'relu',
  'silu',
  'swish',
  'tanh',
] as const;

export type HfActivation = (typeof HF_ACTIVATIONS)[number];

/** The activation function for an ACT2FN name ('gelu' is exact erf GELU, gelu_new is tanh). */
export function hfActivation(name: HfActivation): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return (x) => gelu(x, 'none');
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return (x) => gelu(x, 'tanh');
    case 'relu':
      return relu;
    case 'silu':
    case 'swish':
      return silu;
    case 'tanh':
      return tanh;
  }
}
