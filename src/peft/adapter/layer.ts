import { add, scale, type Generator, type Tensor } from '../../core/index.js';
import {
  Dropout,
  GELU,
  kaimingUniform_,
  Linear,
  Module,
  normal_,
  ReLU,
  Sequential,
  SiLU,
  Tanh,
  truncNormal_,
  zeros_,
  type LayerNorm,
  type UnaryModule,
} from '../../nn/index.js';
import type { ResidualAdapter } from '../../models/common/residual.js';
import { AdapterDict } from '../utils/dicts.js';
import type { BottleneckConfig } from './config.js';

/** AdapterHub's Activation_Function_Class for the names accepted in configs. */
export function activationModule(name: BottleneckConfig['non_linearity']): UnaryModule {
  switch (name) {
    case 'relu':
      return new ReLU();
    case 'gelu':
      return new GELU('none');
    case 'gelu_new':
      return new GELU('tanh');
    case 'swish':
    case 'silu':
      return new SiLU();
    case 'tanh':
      return new Tanh();
  }
}

/**
 * One bottleneck adapter (AdapterHub's `Adapter`): down-projection, non-linearity,
 * up-projection, A(x) = W2·σ(W1·x + b1) + b2, times `scaling`, then dropout, plus the residual.
 * AdapterHub's layers carry biases (zero at init), so the weights it saves load one-to-one:
 * `adapter_down.0.weight`, `adapter_down.0.bias`, `adapter_up.weight`, `adapter_up.bias`.
 *
 * init_weights: 'bert' N(0, 0.02) weights; 'houlsby' truncated N(0, 1e-2) in ±2e-2 (a near-identity
 * start); 'mam_adapter' kaiming-uniform down and zero up (exactly the identity at start).
 */
export class BottleneckAdapter extends Module {
  adapter_down: Sequential<UnaryModule>;
  adapter_up: Linear;
  dropout: Dropout;
  readonly scaling: number;

  constructor(
    hidden: number,
    down: number,
    config: BottleneckConfig,
    rng: Generator,
    dtype: 'float32' | 'float64' = 'float32',
  ) {
    super();
    const downLinear = new Linear(hidden, down, { skipInit: true, dtype });
    this.adapter_down = new Sequential<UnaryModule>(
      downLinear,
      activationModule(config.non_linearity),
    );
    this.adapter_up = new Linear(down, hidden, { skipInit: true, dtype });
    this.dropout = new Dropout(config.dropout, rng);
    this.scaling = config.scaling;
    const up = this.adapter_up;
    switch (config.init_weights) {
      case 'bert':
        normal_(downLinear.weight, rng, 0, 0.02);
        normal_(up.weight, rng, 0, 0.02);
        break;
      case 'houlsby':
        truncNormal_(downLinear.weight, rng, { std: 1e-2, a: -2e-2, b: 2e-2 });
        truncNormal_(up.weight, rng, { std: 1e-2, a: -2e-2, b: 2e-2 });
        break;
      case 'mam_adapter':
        kaimingUniform_(downLinear.weight, rng, { a: Math.sqrt(5) });
        zeros_(up.weight);
        break;
    }
    // Biases start at zero under every init scheme.
  }

  /** dropout(scaling · up(σ(down(x)))) + residual (AdapterHub's Adapter.forward). */
  forward(x: Tensor, residual: Tensor): Tensor {
    let up = this.adapter_up.forward(this.adapter_down.forward(x));
    if (this.scaling !== 1) up = scale(up, this.scaling);
    return add(this.dropout.forward(up), residual);
  }
}

/** Per-adapter options of one site. */
interface SiteOptions {
  originalLnBefore: boolean;
  originalLnAfter: boolean;
  residualBeforeLn: boolean | 'post_add';
}

/**
 * The adapters at one residual connection, keyed by name (AdapterHub's BottleneckLayer.adapters),
 * with its forward: AdapterHub's pre_forward / Adapter / post_forward.
 *   Houlsby (original_ln_before false): out = norm(h + A(h) + residual)
 *   Pfeiffer (original_ln_before true): out = norm(h + A(norm(h + residual)) + residual)
 * with norm the identity for pre-norm blocks. With no active adapter it is the plain residual.
 *
 * Several active adapters are AdapterHub's Stack (MAD-X: language adapter, then task adapter):
 * as its compose_stack, each adapter's pre_forward runs on the previous adapter's output, so
 * each adapter sees that output as the sublayer output, and the last adapter's post_forward
 * finishes. For the Pfeiffer and Houlsby configs this is applying the adapters' residual maps
 * x -> x + A(x) one after the other. Adapters absent from this site (leave_out) are skipped.
 */
export class BottleneckDict extends AdapterDict<BottleneckAdapter> implements ResidualAdapter {
  readonly #options = new Map<string, SiteOptions>();
  #active: readonly string[] = [];

  addAdapter(name: string, adapter: BottleneckAdapter, config: BottleneckConfig): void {
    this.set(name, adapter);
    this.#options.set(name, {
      originalLnBefore: config.original_ln_before,
      originalLnAfter: config.original_ln_after,
      residualBeforeLn: config.residual_before_ln,
    });
  }

  deleteAdapter(name: string): void {
    this.delete(name);
    this.#options.delete(name);
    this.#active = this.#active.filter((n) => n !== name);
  }

  setActiveAdapter(name: string | null): void {
    this.#active = name === null ? [] : [name];
  }

  /** Run these adapters in order (AdapterHub's Stack). */
  setActiveStack(names: readonly string[]): void {
    this.#active = [...names];
  }

  forward(h: Tensor, input: Tensor, norm: LayerNorm | null): Tensor {
    const names = this.#active.filter((n) => this.has(n));
    if (names.length === 0) {
      return norm ? norm.forward(add(h, input)) : add(h, input);
    }
    let out = h;
    for (const name of names)
      out = this.get(name).forward(...this.preForward(name, out, input, norm));
    const last = this.#options.get(names[names.length - 1])!;
    if (last.originalLnAfter) out = norm ? norm.forward(add(out, input)) : add(out, input);
    return out;
  }

  /** AdapterHub's Adapter.pre_forward: the adapter's input and its residual. */
  private preForward(
    name: string,
    h: Tensor,
    input: Tensor,
    norm: LayerNorm | null,
  ): [Tensor, Tensor] {
    const o = this.#options.get(name)!;
    let hidden = h;
    let residual: Tensor = h;
    if (o.originalLnBefore) {
      hidden = add(h, input);
      if (o.residualBeforeLn === 'post_add') residual = hidden;
      if (norm) hidden = norm.forward(hidden);
    }
    if (o.residualBeforeLn === false) residual = hidden;
    return [hidden, residual];
  }
}

/**
 * A block's adapter site in GPT-2 / Llama (AdapterHub's `attention_adapters` and
 * `output_adapters`, whose adapters sit under `.adapters.<name>`).
 */
export class BottleneckLayer extends Module implements ResidualAdapter {
  adapters = new BottleneckDict();

  forward(h: Tensor, input: Tensor, norm: LayerNorm | null): Tensor {
    return this.adapters.forward(h, input, norm);
  }
}
