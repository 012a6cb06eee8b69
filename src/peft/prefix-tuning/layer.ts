import { embedding as lookup, arange, type Generator, type Tensor } from '../../core/index.js';
import { Embedding, Linear, Module, Sequential, Tanh, type UnaryModule } from '../../nn/index.js';

/**
 * PEFT's PrefixEncoder: the flattened per-layer keys and values of every virtual token,
 * [num_virtual_tokens, num_layers * 2 * token_dim]. Without projection they are the embedding
 * itself; with it, `transform` (Linear -> Tanh -> Linear) maps a [N, token_dim] embedding to them.
 */
export class PrefixEncoder extends Module {
  embedding: Embedding;
  transform: Sequential<UnaryModule> | null = null;
  readonly projection: boolean;

  constructor(
    o: {
      numVirtualTokens: number;
      tokenDim: number;
      numLayers: number;
      encoderHiddenSize: number;
      projection: boolean;
      /** PEFT's init_weights 'zero': the output starts at zero (the last layer, with projection). */
      zeroInit?: boolean;
      dtype: 'float32' | 'float64';
    },
    rng: Generator | null,
  ) {
    super();
    const init = rng ? { rng, dtype: o.dtype } : { skipInit: true, dtype: o.dtype };
    const flat = o.numLayers * 2 * o.tokenDim;
    this.projection = o.projection;
    if (o.projection) {
      this.embedding = new Embedding(o.numVirtualTokens, o.tokenDim, init);
      this.transform = new Sequential<UnaryModule>(
        new Linear(o.tokenDim, o.encoderHiddenSize, init),
        new Tanh(),
        new Linear(o.encoderHiddenSize, flat, init),
      );
    } else {
      this.embedding = new Embedding(o.numVirtualTokens, flat, init);
    }
    if (o.zeroInit && rng) {
      const last = this.transform ? (this.transform.get(2) as Linear) : null;
      for (const p of last ? [last.weight, last.bias!] : [this.embedding.weight]) p.data.fill(0);
    }
  }

  /** The flattened prefixes [N, num_layers * 2 * token_dim] (PEFT's get_prompt before view). */
  forward(): Tensor {
    if (!this.transform) return this.embedding.weight;
    const n = this.embedding.numEmbeddings;
    const tokens = lookup(this.embedding.weight, arange(0, n, 1, { dtype: 'int32' }));
    return this.transform.forward(tokens);
  }
}
