import { add, concat, noGrad, scale, Tensor, ValueError } from '../../core/index.js';
import { Module, type Parameter } from '../../nn/index.js';
import type { PreTrainedModel } from '../../models/index.js';
import type { Tuner, TunerContext } from '../registry.js';
import { isTargeted, patternValue } from '../utils/targets.js';
import type { PeftModel } from '../peft-model.js';
import type { LoraConfig } from './config.js';
import { isLoraBase, LoraLayer } from './layer.js';
import { Conv1D } from '../../models/index.js';

/**
 * PEFT's LoraModel: finds the target layers of a model, wraps each in a LoraLayer and keeps the
 * adapters in step (active adapter, merging, unloading, weighted combinations).
 */
export class LoraModel extends Module implements Tuner<LoraConfig> {
  model: PreTrainedModel;

  constructor(model: PreTrainedModel) {
    super();
    this.model = model;
  }

  get baseModel(): Module {
    return this;
  }

  /** [path, layer] of every LoRA layer, paths relative to the model. */
  loraLayers(): [string, LoraLayer][] {
    return this.model
      .namedModules()
      .filter((e): e is [string, LoraLayer] => e[1] instanceof LoraLayer);
  }

  addAdapter(name: string, config: LoraConfig, ctx: TunerContext): void {
    let found = 0;
    for (const [key, module] of this.model.namedModules()) {
      if (
        key === '' ||
        /(^|\.)(base_layer|lora_A|lora_B|lora_dropout|modules_to_save|original_module)(\.|$)/.test(
          key,
        )
      ) {
        continue;
      }
      if (!isTargeted(key, config)) continue;
      const layer = module instanceof LoraLayer ? module : null;
      const base = layer ? layer.base_layer : module;
      if (!isLoraBase(base)) {
        throw new ValueError(
          `LoRA: target module '${key}' is a ${module.constructor.name}; only Linear and GPT-2's Conv1D are supported (target its linear layers)`,
        );
      }
      this.checkFanInFanOut(config, base, key, ctx);
      const target = layer ?? new LoraLayer(base);
      const r = patternValue(config.rank_pattern, key) ?? config.r;
      target.updateLayer(name, {
        r,
        alpha: patternValue(config.alpha_pattern, key) ?? config.lora_alpha,
        dropout: config.lora_dropout,
        init: config.init_lora_weights,
        useRslora: config.use_rslora,
        bias: config.lora_bias,
        rng: ctx.rng,
      });
      if (!layer) this.model.setSubmodule(key, target);
      found += 1;
    }
    if (found === 0) {
      throw new ValueError(
        `LoRA: target modules ${JSON.stringify(config.target_modules)} not found in the base model; check the names (module paths such as 'transformer.h.0.attn.c_attn' match by suffix)`,
      );
    }
  }

  /** PEFT corrects fan_in_fan_out to the layer kind, with a warning, and records it in the config. */
  private checkFanInFanOut(config: LoraConfig, base: Module, key: string, ctx: TunerContext): void {
    const conv = base instanceof Conv1D;
    if (conv && !config.fan_in_fan_out) {
      ctx.onWarning(`LoRA: fan_in_fan_out is false but '${key}' is a Conv1D; setting it to true`);
      config.fan_in_fan_out = true;
    } else if (!conv && config.fan_in_fan_out) {
      ctx.onWarning(`LoRA: fan_in_fan_out is true but '${key}' is a Linear; setting it to false`);
      config.fan_in_fan_out = false;
    }
  }

  deleteAdapter(name: string): void {
    for (const [, layer] of this.loraLayers()) layer.deleteAdapter(name);
  }

  setActiveAdapter(name: string | null): void {
    for (const [, layer] of this.loraLayers()) layer.setActiveAdapter(name);
  }

  /** A and B of every layer, and the biases config.bias trains ('all': every bias). */
  adapterParameters(name: string, config: LoraConfig): Parameter[] {
    const out = this.loraLayers().flatMap(([, l]) => l.adapterParameters(name));
    if (config.bias === 'all') {
      for (const [n, p] of this.model.namedParameters()) if (n.includes('bias')) out.push(p);
    } else if (config.bias === 'lora_only') {
      for (const [, l] of this.loraLayers()) {
        if (l.hasAdapter(name) && l.base_layer.bias) out.push(l.base_layer.bias);
      }
    }
    return out;
  }

  /** PEFT's get_peft_model_state_dict for LORA: `lora_` keys plus biases by config.bias. */
  selectStateKeys(keys: readonly string[], config: LoraConfig): string[] {
    const all = new Set(keys);
    const out = new Set<string>();
    for (const k of keys) {
      if (k.includes('lora_')) {
        out.add(k);
        if (config.bias === 'lora_only') {
          // PEFT looks for `<layer>.bias`, which its base_layer refactor moved to
          // `<layer>.base_layer.bias` (so PEFT silently drops them): save them where PEFT loads them.
          const b = `${k.split('lora_')[0]}base_layer.bias`;
          if (all.has(b)) out.add(b);
        }
      } else if (config.bias === 'all' && k.includes('bias')) out.add(k);
    }
    return [...out];
  }

  merge(names: readonly string[], safe: boolean): void {
    for (const [, layer] of this.loraLayers()) layer.merge(names, safe);
  }

  unmerge(): void {
    for (const [, layer] of this.loraLayers()) layer.unmerge();
  }

  mergedAdapters(): string[] {
    const names = new Set<string>();
    for (const [, layer] of this.loraLayers()) for (const n of layer.mergedAdapters()) names.add(n);
    return [...names];
  }

  /** Replace each LoRA layer by its base layer, merging these adapters into it first. */
  unload(mergeNames: readonly string[] | null): PreTrainedModel {
    for (const [key, layer] of this.loraLayers()) {
      if (mergeNames) layer.merge(mergeNames, false);
      this.model.setSubmodule(key, layer.base_layer);
    }
    return this.model;
  }

  /**
   * PEFT's LoraModel.add_weighted_adapter for combination types 'linear' and 'cat' (SVD, TIES and
   * DARE are not implemented): a new, frozen, inactive adapter `name` whose config is the first
   * source's with r and lora_alpha = the new rank (so its scaling is 1) and the union of the
   * target modules, and whose weights combine the sources' (see LoraModel.combineWeighted).
   */
  addWeightedAdapter(
    peft: PeftModel,
    adapters: readonly string[],
    weights: readonly number[],
    name: string,
    combinationType: 'linear' | 'cat',
  ): void {
    const configs = peft.peftConfig as Record<string, LoraConfig>;
    if (name in configs)
      throw new ValueError(`addWeightedAdapter: adapter '${name}' already exists`);
    if (adapters.length === 0 || adapters.length !== weights.length) {
      throw new ValueError(
        `addWeightedAdapter: need as many weights (${weights.length}) as adapters (${adapters.length}), at least one`,
      );
    }
    for (const a of adapters) {
      if (!configs[a]) throw new ValueError(`addWeightedAdapter: adapter ${a} does not exist`);
    }
    if (combinationType !== 'linear' && combinationType !== 'cat') {
      throw new ValueError(
        `addWeightedAdapter: combination_type '${String(combinationType)}' is not implemented (use 'linear' or 'cat')`,
      );
    }
    const combination = adapters.length === 1 ? 'linear' : combinationType;
    const ranks = adapters.map((a) => configs[a].r);
    let newRank: number;
    if (combination === 'linear') {
      if (new Set(ranks).size !== 1) {
        throw new ValueError(
          `addWeightedAdapter: all adapters must have the same r for 'linear', got ${ranks.join(', ')}`,
        );
      }
      newRank = ranks[0];
    } else {
      newRank = ranks.reduce((a, b) => a + b, 0);
    }
    const targets = adapters.map((a) => configs[a].target_modules);
    let union: string | string[];
    if (targets.every((t) => typeof t === 'string')) {
      union = targets.map((t) => `(${t as string})`).join('|');
    } else if (targets.every((t) => Array.isArray(t))) {
      union = [...new Set(targets.flat() as string[])];
    } else {
      throw new ValueError(
        'addWeightedAdapter: all adapter configs should follow the same target modules type (all lists or all regex strings)',
      );
    }
    const first = configs[adapters[0]];
    const config: LoraConfig = {
      ...first,
      r: newRank,
      lora_alpha: newRank,
      target_modules: union,
      inference_mode: first.inference_mode,
    };
    peft.addAdapter(name, config as never);
    this.combineWeighted(adapters, weights, name, combination);
  }

  /**
   * PEFT's add_weighted_adapter for 'linear' and 'cat' (the new adapter must already be added
   * with rank r = the sources' rank ('linear') or their sum ('cat'), lora_alpha = r):
   * - linear: A = Σ √(wᵢ·sᵢ)·Aᵢ and B = Σ √(wᵢ·sᵢ)·Bᵢ (sᵢ the source scaling), PEFT's
   *   task-arithmetic form, whose product also has cross terms Bᵢ·Aⱼ;
   * - cat: A = [w₁s₁A₁; w₂s₂A₂; ...] stacked by rows and B = [B₁ B₂ ...] by columns, so that
   *   B·A = Σ wᵢ·sᵢ·Bᵢ·Aᵢ exactly.
   */
  combineWeighted(
    sources: readonly string[],
    weights: readonly number[],
    name: string,
    combination: 'linear' | 'cat',
  ): void {
    noGrad(() => {
      for (const [, layer] of this.loraLayers()) {
        if (!layer.hasAdapter(name)) continue;
        const targetA = layer.lora_A.get(name).weight;
        const targetB = layer.lora_B.get(name).weight;
        targetA.data.fill(0);
        targetB.data.fill(0);
        const present = sources
          .map((s, i) => [s, weights[i]] as const)
          .filter(([s]) => layer.hasAdapter(s));
        if (present.length === 0) continue;
        let newA: Tensor;
        let newB: Tensor;
        if (combination === 'linear') {
          const w = present.map(([s, wt]) => Math.sqrt(wt * layer.scaling(s)));
          newA = present
            .map(([s], i) => scale(layer.lora_A.get(s).weight, w[i]))
            .reduce((a, b) => add(a, b));
          newB = present
            .map(([s], i) => scale(layer.lora_B.get(s).weight, w[i]))
            .reduce((a, b) => add(a, b));
        } else {
          const catA = concat(
            present.map(([s, wt]) => scale(layer.lora_A.get(s).weight, wt * layer.scaling(s))),
            0,
          );
          const catB = concat(
            present.map(([s]) => layer.lora_B.get(s).weight.detach()),
            1,
          );
          newA = padRows(catA, targetA.shape[0]);
          newB = padCols(catB, targetB.shape[1]);
        }
        checkShape(newA, targetA, 'lora_A');
        checkShape(newB, targetB, 'lora_B');
        targetA.data.set(newA.data);
        targetB.data.set(newB.data);
      }
    });
  }
}

function checkShape(t: Tensor, target: Tensor, what: string): void {
  if (t.shape.join() !== target.shape.join()) {
    throw new ValueError(
      `add_weighted_adapter: combined ${what} has shape [${t.shape.join(', ')}], the new adapter [${target.shape.join(', ')}] (all adapters need the same r for 'linear')`,
    );
  }
}

/** [rows, cols] -> [n, cols] with zero rows below (an adapter missing in this layer). */
function padRows(t: Tensor, n: number): Tensor {
  if (t.shape[0] === n) return t;
  const out = new Float64Array(n * t.shape[1]);
  out.set(t.data);
  return toDtype(out, [n, t.shape[1]], t);
}

/** [rows, cols] -> [rows, n] with zero columns on the right. */
function padCols(t: Tensor, n: number): Tensor {
  const [rows, cols] = t.shape;
  if (cols === n) return t;
  const out = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * n + j] = t.data[i * cols + j];
  }
  return toDtype(out, [rows, n], t);
}

function toDtype(data: Float64Array, shape: number[], like: Tensor): Tensor {
  const arr = like.dtype === 'float64' ? data : Float32Array.from(data);
  return new Tensor(arr, shape);
}
