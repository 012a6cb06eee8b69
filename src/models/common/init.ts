import type { Generator, Tensor } from '../../core/index.js';
import {
  Embedding,
  LayerNorm,
  Linear,
  Module,
  normal_,
  ones_,
  RMSNorm,
  zeros_,
} from '../../nn/index.js';

export interface HfInitOptions {
  /** initializer_range: the std of every weight matrix and embedding. */
  std: number;
  /** Per-parameter std override (GPT-2 scales residual projections by 1/sqrt(2 n_layer)). */
  stdFor?: (name: string) => number | undefined;
  /** Only these state-dict names (missing keys after a load); default every parameter. */
  only?: ReadonlySet<string>;
}

/**
 * Hugging Face's `_init_weights`: weight matrices and embeddings ~ N(0, initializer_range), biases
 * 0, norms weight 1 and bias 0, an embedding's padding row 0. A parameter shared by two modules
 * (tied embeddings) is drawn once, by its first owner in traversal order. Draws follow the
 * state-dict order, so the same seed gives the same model.
 */
export function hfInit(model: Module, rng: Generator, options: HfInitOptions): void {
  const seen = new Set<Tensor>();
  for (const [path, module] of model.namedModules()) {
    for (const [field, p] of module.ownTensors().params) {
      const name = path === '' ? field : `${path}.${field}`;
      if (seen.has(p)) continue;
      seen.add(p);
      if (options.only && !options.only.has(name)) continue;
      const std = options.stdFor?.(name) ?? options.std;
      if (module instanceof LayerNorm || module instanceof RMSNorm) {
        if (field === 'weight') ones_(p);
        else zeros_(p);
      } else if (field === 'bias' || (p.rank === 1 && !(module instanceof Linear))) {
        zeros_(p);
      } else {
        normal_(p, rng, 0, std);
        if (module instanceof Embedding && module.paddingIdx !== null) {
          const d = module.embeddingDim;
          p.data.fill(0, module.paddingIdx * d, (module.paddingIdx + 1) * d);
        }
      }
    }
  }
}
