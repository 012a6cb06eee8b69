import {
  add,
  atan,
  concat,
  div,
  exp,
  mul,
  slice,
  sub,
  type Generator,
  type Tensor,
} from '../../core/index.js';
import { Linear, Module, normal_, Sequential, type UnaryModule } from '../../nn/index.js';
import type { InvertibleEmbeddingAdapter } from '../../models/common/residual.js';
import { AdapterDict } from '../utils/dicts.js';
import type { BottleneckConfig } from './config.js';
import { activationModule } from './layer.js';

type Dtype = 'float32' | 'float64';

/**
 * A subnet Linear -> σ -> Linear whose width is its input width over inv_adapter_reduction_factor,
 * with init_bert_weights' N(0, 0.02) weights and zero biases (AdapterHub's subnet_constructor).
 */
function subnet(
  from: number,
  to: number,
  config: BottleneckConfig,
  rng: Generator,
  dtype: Dtype,
): Sequential<UnaryModule> {
  const width = Math.max(1, Math.floor(from / config.inv_adapter_reduction_factor!));
  const down = new Linear(from, width, { skipInit: true, dtype });
  const up = new Linear(width, to, { skipInit: true, dtype });
  normal_(down.weight, rng, 0, 0.02);
  normal_(up.weight, rng, 0, 0.02);
  return new Sequential<UnaryModule>(down, activationModule(config.non_linearity), up);
}

/**
 * MAD-X's invertible adapter (Pfeiffer et al. 2020, §2.2): a NICE coupling block (Dinh et al.
 * 2015) on the token embeddings, so that a language adapter can also re-map the embedding space
 * of a frozen multilingual model. Split the features x = [x1, x2] (x1 the first ⌊d/2⌋):
 *   forward  y1 = x1 + F(x2),  y2 = x2 + G(y1)
 *   inverse  x2 = y2 - G(y1),  x1 = y1 - F(x2)
 * F and G are subnets (see subnet), so the map is invertible whatever their weights. The names
 * (F.0, F.2, G.0, G.2) are AdapterHub's NICECouplingBlock.
 */
export class NICECouplingBlock extends Module {
  F: Sequential<UnaryModule>;
  G: Sequential<UnaryModule>;
  readonly split1: number;

  constructor(hidden: number, config: BottleneckConfig, rng: Generator, dtype: Dtype = 'float32') {
    super();
    this.split1 = Math.floor(hidden / 2);
    const split2 = hidden - this.split1;
    this.F = subnet(split2, this.split1, config, rng, dtype);
    this.G = subnet(this.split1, split2, config, rng, dtype);
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

/** AdapterHub's soft clamp of GLOW's log-scales: c·0.636·atan(s / c) with c = 5 (0.636 ≈ 2/π). */
const CLAMP = 5;
const expClamped = (s: Tensor): Tensor => exp(mul(atan(div(s, CLAMP)), CLAMP * 0.636));

/**
 * The GLOW coupling block (inv_adapter 'glow'): two affine couplings (Dinh et al. 2017; Kingma &
 * Dhariwal 2018) whose subnets each predict a scale and a shift, e(s) = exp(softclamp(s)):
 *   forward  [s2, t2] = s2(x2), y1 = e(s2)·x1 + t2;  [s1, t1] = s1(y1), y2 = e(s1)·x2 + t1
 *   inverse  x2 = (y2 - t1) / e(s1) with [s1, t1] = s1(y1);  x1 = (y1 - t2) / e(s2) with s2(x2)
 * Parameter names and shapes (s1: x1's width -> 2·x2's, s2: x2's -> 2·x1's), init and the clamp
 * are AdapterHub's GLOWCouplingBlock. Its inverse is the one above; its forward is not the
 * inverse's inverse (it puts x1, x2 where s2's output belongs), splits [s, t] on axis 1 (the
 * sequence of a [batch, seq, hidden] input) and returns a list, so a GLOW adapter does not run
 * inside an AdapterHub model; here forward is the exact inverse of AdapterHub's inverse.
 */
export class GLOWCouplingBlock extends Module {
  s1: Sequential<UnaryModule>;
  s2: Sequential<UnaryModule>;
  readonly split1: number;
  readonly split2: number;

  constructor(hidden: number, config: BottleneckConfig, rng: Generator, dtype: Dtype = 'float32') {
    super();
    this.split1 = Math.floor(hidden / 2);
    this.split2 = hidden - this.split1;
    this.s1 = subnet(this.split1, 2 * this.split2, config, rng, dtype);
    this.s2 = subnet(this.split2, 2 * this.split1, config, rng, dtype);
  }

  /** x [..., hidden] -> the coupling (rev: its inverse), same shape. */
  forward(x: Tensor, rev = false): Tensor {
    const axis = x.shape.length - 1;
    const x1 = slice(x, axis, 0, this.split1);
    const x2 = slice(x, axis, this.split1);
    /** A subnet's output split into its scale factor e(s) and its shift t, each `width` wide. */
    const affine = (net: Sequential<UnaryModule>, input: Tensor, width: number) => {
      const r = net.forward(input);
      return { e: expClamped(slice(r, axis, 0, width)), t: slice(r, axis, width) };
    };
    if (!rev) {
      const a2 = affine(this.s2, x2, this.split1);
      const y1 = add(mul(a2.e, x1), a2.t);
      const a1 = affine(this.s1, y1, this.split2);
      return concat([y1, add(mul(a1.e, x2), a1.t)], axis);
    }
    const a1 = affine(this.s1, x1, this.split2);
    const y2 = div(sub(x2, a1.t), a1.e);
    const a2 = affine(this.s2, y2, this.split1);
    return concat([div(sub(x1, a2.t), a2.e), y2], axis);
  }
}

export type CouplingBlock = NICECouplingBlock | GLOWCouplingBlock;

/** The coupling block an adapter config asks for (inv_adapter 'nice' or 'glow'). */
export function couplingBlock(
  hidden: number,
  config: BottleneckConfig,
  rng: Generator,
  dtype: Dtype,
): CouplingBlock {
  return config.inv_adapter === 'glow'
    ? new GLOWCouplingBlock(hidden, config, rng, dtype)
    : new NICECouplingBlock(hidden, config, rng, dtype);
}

/**
 * The invertible adapters of a model by adapter name (AdapterHub's `invertible_adapters`). As
 * AdapterHub, only the first adapter of the active setup counts: in a Stack ['es', 'task'] the
 * language adapter's coupling runs, and a task adapter without one adds nothing.
 */
export class InvertibleAdapters
  extends AdapterDict<CouplingBlock>
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
