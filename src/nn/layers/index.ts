export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { LayerNorm, type LayerNormOptions } from './layer-norm.js';
export { RMSNorm, type RMSNormOptions } from './rms-norm.js';
export { Dropout } from './dropout.js';
export {
  activation,
  GELU,
  Identity,
  LeakyReLU,
  ReLU,
  Sigmoid,
  SiLU,
  Softmax,
  Tanh,
  type ActivationName,
} from './activation.js';
export { MLP, type MLPOptions } from './mlp.js';
export {
  CausalSelfAttention,
  MultiheadAttention,
  type AttentionCallOptions,
  type AttentionLayerOptions,
} from './attention.js';
export type { InitOptions } from './options.js';
