import { add, concat, slice, sub, type Generator, type Tensor } from '../../core/index.js';
import { Linear, Module, normal_, Sequential, type UnaryModule } from '../../nn/index.js';
import type { InvertibleEmbeddingAdapter } from '../../models/common/residual.js';
import { AdapterDict } from '../utils/dicts.js';
import type { BottleneckConfig } from './config.js';
import { activationModule } from './layer.js';

/**
 * MAD-X's invertible adapter (Pfeiffer et al. 2020, §2.2): a NICE coupling block (Dinh et al.
 * 2015) on the token embeddings, so that a language adapter can also re-map the embedding space
 * of a frozen multilingual model. Split the features x = [x1, x2] (x1 the first ⌊d/2⌋):
 *   forward  y1 = x1 + F(x2),  y2 = x2 + G(y1)
 *   inverse  x2 = y2 - G(y1),  x1 = y1 - F(x2)
 * F and G are bottlenecks Linear -> σ -> Linear of width half/inv_adapter_reduction_factor, so
 * the map is invertible whatever their weights. The names (F.0, F.2, G.0, G.2) and the
 * N(0, 0.02) weights with zero biases are AdapterHub's NICECouplingBlock and init_bert_weights.
 */
export class NICECouplingBlock extends Module {
  F: Sequential<UnaryModule>;
  G: Sequential<UnaryModule>;
  readonly split1: number;

  constructor(
    hidden: number,
    config: BottleneckConfig,
    rng: Generator,
    dtype: 'float32' | 'float64' = 'float32',
  ) {
    super();
    const rf = config.inv_adapter_reduction_factor!;
    this.split1 = Math.floor(hidden / 2);
    const split2 = hidden - this.split1;
    // The width is the subnet's input width over the factor (AdapterHub's subnet_constructor).
    const bottleneck = (from: number, to: number): Sequential<UnaryModule> => {
      const width = Math.max(1, Math.floor(from / rf));
      const down = new Linear(from, width, { skipInit: true, dtype });
      const up = new Linear(width, to, { skipInit: true, dtype });
      normal_(down.weight, rng, 0, 0.02);
      normal_(up.weight, rng, 0, 0.02);
      return new Sequential<UnaryModule>(down, activationModule(config.non_linearity), up);
    };
    this.F = bottleneck(split2, this.split1);
    this.G = bottleneck(this.split1, split2);
  }

  /** x [..., hidden] -> the coupling (rev: its inverse), same shape. */
  forward(x: Tensor, rev = false): Tensor {
    const axis = x.shape.length - 1;
    const x1 = slice(x, axis, 0, this.split1);
    const x2 = slice(x, axis, this.split1);
    if (!rev) {
      const y1 = add(x1, this.F.forward(x2));
      return concat([y1, add(x2, this.G.forward(y1))], axis);
    }
    const y2 = sub(x2, this.G.forward(x1));
    return concat([sub(x1, this.F.forward(y2)), y2], axis);
  }
}

/**
 * The invertible adapters of a model by adapter name (AdapterHub's `invertible_adapters`). As
 * AdapterHub, only the first adapter of the active setup counts: in a Stack ['es', 'task'] the
 * language adapter's coupling runs, and a task adapter without one adds nothing.
 */
export class InvertibleAdapters
  extends AdapterDict<NICECouplingBlock>
  implements InvertibleEmbeddingAdapter
{
  #first: string | null = null;

  /** The active adapters in order (null: none); the first one's coupling is used. */
  setActive(names: readonly string[] | null): void {
    this.#first = names?.[0] ?? null;
  }

  forward(x: Tensor, rev = false): Tensor {
    if (this.#first === null || !this.has(this.#first)) return x;
    return this.get(this.#first).forward(x, rev);
  }
}
