import type { Tensor } from '../../core/index.js';
import type { LayerNorm, Module } from '../../nn/index.js';

/**
 * A hook for bottleneck adapters (Houlsby et al. 2019, Pfeiffer et al. 2020) at a block's residual
 * connection, as AdapterHub's BottleneckLayer. A block with no hook computes `sublayer + residual`
 * (then `norm` for post-norm blocks); a block given one calls it instead. `sublayer` is the
 * attention or feed-forward output, `residual` the stream it is added to, `norm` the LayerNorm
 * applied after the add (BERT) or null (pre-norm GPT-2 and Llama blocks).
 */
export interface ResidualAdapter extends Module {
  forward(sublayer: Tensor, residual: Tensor, norm: LayerNorm | null): Tensor;
}

/**
 * A hook for MAD-X's invertible adapters (AdapterHub's `invertible_adapters`): applied to the
 * embedding output, and inverted (rev) on the final hidden states before a tied output
 * embedding, so the input and output embedding spaces are re-mapped alike. None: the identity.
 */
export interface InvertibleEmbeddingAdapter extends Module {
  forward(x: Tensor, rev?: boolean): Tensor;
}
