import { ValueError } from '../../core/index.js';
import { Module, type Parameter } from '../../nn/index.js';
import { Conv1D, type PreTrainedModel } from '../../models/index.js';
import type { Tuner, TunerContext } from '../registry.js';
import { isLoraBase } from '../lora/layer.js';
import { isTargeted, matchesTarget } from '../utils/targets.js';
import type { IA3Config } from './config.js';
import { IA3Layer } from './layer.js';

/** PEFT's IA3Model: wraps the target layers of a model in IA3Layers. */
export class IA3Model extends Module implements Tuner<IA3Config> {
  model: PreTrainedModel;

  constructor(model: PreTrainedModel) {
    super();
    this.model = model;
  }

  get baseModel(): Module {
    return this;
  }

  ia3Layers(): [string, IA3Layer][] {
    return this.model
      .namedModules()
      .filter((e): e is [string, IA3Layer] => e[1] instanceof IA3Layer);
  }

  addAdapter(name: string, config: IA3Config, ctx: TunerContext): void {
    let found = 0;
    for (const [key, module] of this.model.namedModules()) {
      if (
        key === '' ||
        /(^|\.)(base_layer|ia3_l|modules_to_save|original_module)(\.|$)/.test(key)
      ) {
        continue;
      }
      if (!isTargeted(key, config)) continue;
      const layer = module instanceof IA3Layer ? module : null;
      const base = layer ? layer.base_layer : module;
      if (!isLoraBase(base)) {
        throw new ValueError(
          `IA3: target module '${key}' is a ${module.constructor.name}; only Linear and GPT-2's Conv1D are supported`,
        );
      }
      // PEFT: a string is a full-match regex; a list matches by plain suffix (no dot required).
      const ff = config.feedforward_modules;
      const isFeedforward =
        typeof ff === 'string'
          ? matchesTarget(key, ff, 'feedforward_modules')
          : (ff ?? []).some((t) => key.endsWith(t));
      if (layer && layer.isFeedforward !== isFeedforward) {
        throw new ValueError(`IA3: '${key}' is feed-forward for one adapter and not for another`);
      }
      const conv = base instanceof Conv1D;
      if (conv !== config.fan_in_fan_out) {
        ctx.onWarning(
          `IA3: fan_in_fan_out is ${config.fan_in_fan_out} but '${key}' is a ${conv ? 'Conv1D' : 'Linear'}; setting it to ${conv}`,
        );
        config.fan_in_fan_out = conv;
      }
      const target = layer ?? new IA3Layer(base, isFeedforward);
      target.updateLayer(name, config.init_ia3_weights, ctx.rng);
      if (!layer) this.model.setSubmodule(key, target);
      found += 1;
    }
    if (found === 0) {
      throw new ValueError(
        `IA3: target modules ${JSON.stringify(config.target_modules)} not found in the base model`,
      );
    }
  }

  deleteAdapter(name: string): void {
    for (const [, l] of this.ia3Layers()) l.deleteAdapter(name);
  }

  setActiveAdapter(name: string | null): void {
    for (const [, l] of this.ia3Layers()) l.setActiveAdapter(name);
  }

  adapterParameters(name: string): Parameter[] {
    return this.ia3Layers()
      .filter(([, l]) => l.hasAdapter(name))
      .map(([, l]) => l.ia3_l.get(name));
  }

  /** PEFT's get_peft_model_state_dict for IA3: keys with the `ia3_` prefix. */
  selectStateKeys(keys: readonly string[]): string[] {
    return keys.filter((k) => k.includes('ia3_'));
  }

  merge(names: readonly string[], safe: boolean): void {
    for (const [, l] of this.ia3Layers()) l.merge(names, safe);
  }

  unmerge(): void {
    for (const [, l] of this.ia3Layers()) l.unmerge();
  }

  mergedAdapters(): string[] {
    return [...new Set(this.ia3Layers().flatMap(([, l]) => l.mergedAdapters()))];
  }

  unload(mergeNames: readonly string[] | null): PreTrainedModel {
    for (const [key, l] of this.ia3Layers()) {
      if (mergeNames) l.merge(mergeNames, false);
      this.model.setSubmodule(key, l.base_layer);
    }
    return this.model;
  }
}
