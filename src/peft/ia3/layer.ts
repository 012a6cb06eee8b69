import { mul, NonFiniteError, ones, reshape, type Tensor } from '../../core/index.js';
import { Module, Parameter } from '../../nn/index.js';
import { Conv1D } from '../../models/index.js';
import { ParamDict } from '../utils/dicts.js';
import type { LoraBase } from '../lora/layer.js';

/**
 * An (IA)^3-wrapped layer (PEFT's ia3.Linear): a learned vector l rescales the output,
 * y = base(x) ⊙ l (keys, values), or for feed-forward layers the input, y = base(x ⊙ l).
 * l starts at ones, so the wrapped layer starts as the base layer. Stored as PEFT does:
 * `ia3_l.<adapter>` of shape [out, 1], or [1, in] for feed-forward layers.
 */
export class IA3Layer extends Module {
  base_layer: LoraBase;
  ia3_l = new ParamDict();
  readonly isFeedforward: boolean;
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly fanInFanOut: boolean;
  #active: string | null = null;
  readonly #merged: { name: string; weight: Tensor['data']; bias: Tensor['data'] | null }[] = [];

  constructor(base: LoraBase, isFeedforward: boolean) {
    super();
    this.base_layer = base;
    this.isFeedforward = isFeedforward;
    this.fanInFanOut = base instanceof Conv1D;
    if (base instanceof Conv1D) [this.inFeatures, this.outFeatures] = base.weight.shape;
    else [this.inFeatures, this.outFeatures] = [base.inFeatures, base.outFeatures];
  }

  updateLayer(
    name: string,
    initOnes: boolean,
    rng: { normal(m: number, s: number): number },
  ): void {
    const dtype = this.base_layer.weight.dtype === 'float64' ? 'float64' : 'float32';
    const shape = this.isFeedforward ? [1, this.inFeatures] : [this.outFeatures, 1];
    const l = new Parameter(ones(shape, { dtype }));
    // init_ia3_weights=false leaves torch.randn's values; draw them from the seeded generator.
    if (!initOnes) for (let i = 0; i < l.size; i++) l.data[i] = rng.normal(0, 1);
    this.ia3_l.set(name, l);
  }

  hasAdapter(name: string): boolean {
    return this.ia3_l.has(name);
  }

  deleteAdapter(name: string): void {
    this.ia3_l.delete(name);
    if (this.#active === name) this.#active = null;
  }

  setActiveAdapter(name: string | null): void {
    this.#active = name;
  }

  mergedAdapters(): string[] {
    return this.#merged.map((m) => m.name);
  }

  /** The scaling vector as a flat [features] tensor. */
  private vector(name: string): Tensor {
    const l = this.ia3_l.get(name);
    return reshape(l, [l.size]);
  }

  forward(x: Tensor): Tensor {
    const name = this.#active;
    if (name === null || this.#merged.length > 0 || !this.hasAdapter(name)) {
      return this.base_layer.forward(x);
    }
    if (this.isFeedforward) return this.base_layer.forward(mul(x, this.vector(name)));
    return mul(this.base_layer.forward(x), this.vector(name));
  }

  /**
   * Fold l into the weight (PEFT's merge): columns (inputs) for feed-forward layers, rows
   * (outputs, and the bias) otherwise. The pre-merge values are kept, so unmerge is exact (PEFT
   * divides by l + 1e-8, which is not).
   */
  merge(names: readonly string[], safe = false): void {
    for (const name of names) {
      if (!this.hasAdapter(name) || this.#merged.some((m) => m.name === name)) continue;
      const w = this.base_layer.weight;
      const b = this.base_layer.bias;
      const l = this.ia3_l.get(name).data;
      // Scale along the weight's input axis or output axis, whichever l multiplies.
      const [rows, cols] = w.shape;
      const alongRows = this.isFeedforward === this.fanInFanOut; // index of l runs over rows
      const newW = w.data.slice();
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) newW[i * cols + j] *= l[alongRows ? i : j];
      }
      const newB = b && !this.isFeedforward ? b.data.map((v, i) => v * l[i]) : null;
      if (safe && !Array.from(newW).every(Number.isFinite)) {
        throw new NonFiniteError(`IA3 merge: adapter '${name}' produces NaN/Inf weights`);
      }
      this.#merged.push({ name, weight: w.data.slice(), bias: newB && b ? b.data.slice() : null });
      w.data.set(newW);
      if (newB && b) b.data.set(newB);
    }
  }

  unmerge(): void {
    for (let rec = this.#merged.pop(); rec; rec = this.#merged.pop()) {
      this.base_layer.weight.data.set(rec.weight);
      if (rec.bias && this.base_layer.bias) this.base_layer.bias.data.set(rec.bias);
    }
  }

  override extraRepr(): string {
    return `feedforward=${this.isFeedforward}, adapters=[${this.ia3_l.keys().join(', ')}]`;
  }
}
