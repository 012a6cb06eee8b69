import {
  add,
  matmul,
  noGrad,
  NonFiniteError,
  scale,
  transpose,
  ValueError,
  type Generator,
  type Tensor,
} from '../../core/index.js';
import {
  Dropout,
  kaimingUniform_,
  Linear,
  Module,
  normal_,
  type Parameter,
} from '../../nn/index.js';
import { Conv1D } from '../../models/index.js';
import { AdapterDict } from '../utils/dicts.js';
import { loraScaling } from './config.js';

/** The layers LoRA can wrap: torch.nn.Linear and GPT-2's Conv1D (weight stored [in, out]). */
export type LoraBase = Linear | Conv1D;

export function isLoraBase(m: Module): m is LoraBase {
  return m instanceof Linear || m instanceof Conv1D;
}

export interface LoraAdapterOptions {
  r: number;
  alpha: number;
  dropout: number;
  init: boolean | 'gaussian';
  useRslora: boolean;
  /** lora_bias: lora_B gets a bias (merged into the base bias). */
  bias: boolean;
  rng: Generator;
}

interface MergeRecord {
  name: string;
  /** The base weight (and bias) before merging: unmerge restores them bit for bit. */
  weight: Tensor['data'];
  bias: Tensor['data'] | null;
}

/**
 * A LoRA-wrapped layer (PEFT's lora.Linear): y = base(x) + scaling · B(A(dropout(x))), with
 * A [r, in] kaiming-uniform(a=√5) and B [out, r] zero at init, so the wrapped layer starts as the
 * base layer. Field names are PEFT's, so the state dict reads `c_attn.base_layer.weight`,
 * `c_attn.lora_A.default.weight`, ...
 */
export class LoraLayer extends Module {
  base_layer: LoraBase;
  lora_dropout = new AdapterDict<Dropout>();
  lora_A = new AdapterDict<Linear>();
  lora_B = new AdapterDict<Linear>();
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The base weight is [in, out] (Conv1D): delta weights are transposed to match. */
  readonly fanInFanOut: boolean;
  readonly #scaling = new Map<string, number>();
  #active: string | null = null;
  readonly #merged: MergeRecord[] = [];

  constructor(base: LoraBase) {
    super();
    this.base_layer = base;
    this.fanInFanOut = base instanceof Conv1D;
    if (base instanceof Conv1D) [this.inFeatures, this.outFeatures] = base.weight.shape;
    else [this.inFeatures, this.outFeatures] = [base.inFeatures, base.outFeatures];
  }

  /** PEFT's update_layer: add (or replace) one adapter's A, B and dropout. */
  updateLayer(name: string, o: LoraAdapterOptions): void {
    if (!(Number.isInteger(o.r) && o.r > 0)) {
      throw new ValueError(`LoRA: r must be a positive integer, got ${o.r}`);
    }
    const dtype = this.base_layer.weight.dtype === 'float64' ? 'float64' : 'float32';
    this.lora_dropout.set(name, new Dropout(o.dropout, o.rng));
    // init_lora_weights=false keeps nn.Linear's default init for both (kaiming A and B).
    const plain = o.init === false;
    const a = new Linear(this.inFeatures, o.r, {
      bias: false,
      dtype,
      rng: o.rng,
      skipInit: !plain,
    });
    const b = new Linear(o.r, this.outFeatures, {
      bias: o.bias,
      dtype,
      rng: o.rng,
      skipInit: !plain,
    });
    if (o.init === true) kaimingUniform_(a.weight, o.rng, { a: Math.sqrt(5) });
    else if (o.init === 'gaussian') normal_(a.weight, o.rng, 0, 1 / o.r);
    this.lora_A.set(name, a);
    this.lora_B.set(name, b);
    this.#scaling.set(name, loraScaling(o.alpha, o.r, o.useRslora));
  }

  hasAdapter(name: string): boolean {
    return this.lora_A.has(name);
  }

  adapterNames(): string[] {
    return this.lora_A.keys();
  }

  scaling(name: string): number {
    const s = this.#scaling.get(name);
    if (s === undefined) throw new ValueError(`LoRA layer: no adapter '${name}'`);
    return s;
  }

  setScaling(name: string, value: number): void {
    this.#scaling.set(name, value);
  }

  deleteAdapter(name: string): void {
    if (this.#merged.some((m) => m.name === name)) {
      throw new ValueError(
        `LoRA: cannot delete adapter '${name}' while it is merged; unmerge first`,
      );
    }
    this.lora_A.delete(name);
    this.lora_B.delete(name);
    this.lora_dropout.delete(name);
    this.#scaling.delete(name);
    if (this.#active === name) this.#active = null;
  }

  setActiveAdapter(name: string | null): void {
    this.#active = name;
  }

  get merged(): boolean {
    return this.#merged.length > 0;
  }

  mergedAdapters(): string[] {
    return this.#merged.map((m) => m.name);
  }

  adapterParameters(name: string): Parameter[] {
    if (!this.hasAdapter(name)) return [];
    return [...this.lora_A.get(name).parameters(), ...this.lora_B.get(name).parameters()];
  }

  forward(x: Tensor): Tensor {
    const y = this.base_layer.forward(x);
    const name = this.#active;
    if (name === null || this.merged || !this.hasAdapter(name)) return y;
    const h = this.lora_A.get(name).forward(this.lora_dropout.get(name).forward(x));
    const b = this.lora_B.get(name);
    const s = this.scaling(name);
    // Scale the rank-r activations rather than the full-width delta (r/out of the work, both
    // ways); B(s·h) = s·B(h) needs B without bias. Scaling 1 (alpha = r) costs nothing.
    if (s === 1) return add(y, b.forward(h));
    if (b.bias === null) return add(y, b.forward(scale(h, s)));
    return add(y, scale(b.forward(h), s));
  }

  /** scaling · B A, laid out like the base weight ([in, out] for Conv1D). */
  deltaWeight(name: string): Tensor {
    return noGrad(() => {
      const ba = matmul(this.lora_B.get(name).weight, this.lora_A.get(name).weight);
      const d = scale(ba, this.scaling(name));
      return this.fanInFanOut ? transpose(d) : d;
    });
  }

  /** Add the adapters' deltas to the base weight (PEFT's merge); safe: check for NaN/Inf first. */
  merge(names: readonly string[], safe = false): void {
    for (const name of names) {
      if (!this.hasAdapter(name) || this.#merged.some((m) => m.name === name)) continue;
      const w = this.base_layer.weight;
      const bias = this.base_layer.bias;
      const loraBias = this.lora_B.get(name).bias;
      const newW = add(w.detach(), this.deltaWeight(name)).data;
      const newB =
        bias && loraBias
          ? add(bias.detach(), scale(loraBias.detach(), this.scaling(name))).data
          : null;
      if (safe && (!allFinite(newW) || (newB && !allFinite(newB)))) {
        throw new NonFiniteError(
          `LoRA merge: adapter '${name}' produces NaN/Inf weights; the adapter seems broken`,
        );
      }
      this.#merged.push({
        name,
        weight: w.data.slice(),
        bias: newB && bias ? bias.data.slice() : null,
      });
      w.data.set(newW);
      if (newB && bias) bias.data.set(newB);
    }
  }

  /** Undo every merge, restoring the base weights exactly. */
  unmerge(): void {
    for (let rec = this.#merged.pop(); rec; rec = this.#merged.pop()) {
      this.base_layer.weight.data.set(rec.weight);
      if (rec.bias && this.base_layer.bias) this.base_layer.bias.data.set(rec.bias);
    }
  }

  override extraRepr(): string {
    return `adapters=[${this.adapterNames().join(', ')}]`;
  }
}

function allFinite(d: ArrayLike<number>): boolean {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}
