import { ValueError } from '../core/index.js';
import type { Parameter } from '../nn/index.js';
import type { PreTrainedModel } from '../models/index.js';
import type { BasePeftConfig, PeftConfigInput } from './config.js';
import { mergeableTuner, restoreModulesToSave, weightedAdapterTuner } from './merging.js';
import { PeftModelBase, type PeftModelOptions } from './peft-model-base.js';
import { peftMethodForType } from './registry.js';
import {
  loadAdapterWeights,
  readAdapterDirectory,
  saveAdapters,
  type SaveAdaptersOptions,
} from './save-load.js';
import { trainableParameterReport, type TrainableParameterReport } from './utils/trainable.js';

export type { PeftModelOptions } from './peft-model-base.js';
export type { TrainableParameterReport } from './utils/trainable.js';

/**
 * Hugging Face PEFT's PeftModel, with its method names in camelCase: a model with one or more
 * named adapters of one method, the base model frozen, one adapter active at a time.
 *
 * Module layout is PEFT's, so state-dict names match PEFT's in-memory names: injected methods put
 * the model under `base_model.model` (`base_model.model.transformer.h.0.attn.c_attn.lora_A.default.weight`);
 * prompt learning keeps the model at `base_model` and the prompts in `prompt_encoder.<adapter>`.
 * Adapters, activation and forward live in PeftModelBase; files, parameters and merging here.
 */
export class PeftModel extends PeftModelBase {
  // ------------------------------------------------------------------ files

  /**
   * Write every adapter (or the selected ones): PEFT's adapter_config.json +
   * adapter_model.safetensors ('default' in dir, others in dir/<name>), or AdapterHub's layout
   * for bottleneck adapters. Files are written atomically.
   */
  savePretrained(dir: string, options: SaveAdaptersOptions = {}): Promise<void> {
    return saveAdapters(this, dir, options);
  }

  /** PEFT's load_adapter: add an adapter from a directory (frozen unless isTrainable). */
  async loadAdapter(
    dir: string,
    adapterName: string,
    options: { isTrainable?: boolean } = {},
  ): Promise<void> {
    const d = await readAdapterDirectory(dir);
    if (d.method !== this.method) {
      throw new ValueError(
        `PeftModel.loadAdapter: ${dir} holds a ${d.method.name} adapter, this model has ${this.method.name} adapters`,
      );
    }
    this.injectAdapter(
      adapterName,
      { ...d.input, inference_mode: !options.isTrainable },
      null,
      true,
    );
    try {
      await loadAdapterWeights(this, adapterName, d);
    } catch (err) {
      if (Object.keys(this.peftConfig).length > 1) this.deleteAdapter(adapterName);
      throw err;
    }
  }

  /**
   * PEFT's PeftModel.from_pretrained: wrap a model and load an adapter directory into it, frozen
   * for inference unless isTrainable.
   */
  static async fromPretrained(
    model: PreTrainedModel,
    dir: string,
    options: PeftModelOptions & { isTrainable?: boolean } = {},
  ): Promise<PeftModel> {
    const d = await readAdapterDirectory(dir);
    const peft = new PeftModel(model, d.method, options);
    const name = options.adapterName ?? 'default';
    peft.injectAdapter(name, { ...d.input, inference_mode: !options.isTrainable }, null, true);
    await loadAdapterWeights(peft, name, d);
    return peft;
  }

  // ------------------------------------------------------------------ parameters

  /** PEFT's get_nb_trainable_parameters and its print_trainable_parameters line. */
  trainableParameterReport(): TrainableParameterReport {
    return trainableParameterReport(this.parameters());
  }

  printTrainableParameters(): void {
    console.log(this.trainableParameterReport().text);
  }

  /** The parameters that train (requiresGrad), for an optimizer. */
  trainableParameters(): Parameter[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  // ------------------------------------------------------------------ merging

  private mergeable(op: string) {
    return mergeableTuner(this.method, this.tuner, op);
  }

  /** Fold adapters (default: the active one) into the base weights. */
  merge(options: { adapterNames?: readonly string[]; safeMerge?: boolean } = {}): void {
    const t = this.mergeable('merge');
    const names = options.adapterNames ?? [this.activeAdapter];
    for (const n of names) this.requireAdapter(n);
    t.merge(names, options.safeMerge ?? false);
  }

  /** Restore the base weights exactly (the pre-merge values are kept while merged). */
  unmerge(): void {
    this.mergeable('unmerge').unmerge();
  }

  mergedAdapters(): string[] {
    return this.tuner.mergedAdapters?.() ?? [];
  }

  /**
   * Merge the adapters (default: the active one) and return the base model with plain layers
   * again (modules_to_save replaced by the active adapter's trained copies). This PeftModel must
   * not be used afterwards.
   */
  mergeAndUnload(
    options: { adapterNames?: readonly string[]; safeMerge?: boolean } = {},
  ): PreTrainedModel {
    const t = this.mergeable('mergeAndUnload');
    const names = options.adapterNames ?? [this.activeAdapter];
    if (options.safeMerge) t.merge(names, true);
    return this.finishUnload(t.unload(names));
  }

  /** The base model without adapter layers and without merging. */
  unload(): PreTrainedModel {
    const t = this.mergeable('unload');
    t.unmerge();
    return this.finishUnload(t.unload(null));
  }

  private finishUnload(model: PreTrainedModel): PreTrainedModel {
    return restoreModulesToSave(model, this.wrappers, this.activeAdapter);
  }

  /**
   * PEFT's add_weighted_adapter (LoRA): a new adapter combining others, 'linear' (same r) or
   * 'cat' (ranks summed); see LoraModel.addWeightedAdapter.
   */
  addWeightedAdapter(
    adapters: readonly string[],
    weights: readonly number[],
    name: string,
    combinationType: 'linear' | 'cat',
  ): void {
    weightedAdapterTuner(this).addWeightedAdapter(this, adapters, weights, name, combinationType);
  }
}

/**
 * Freeze the model and add the first adapter (PEFT's get_peft_model). The config names its
 * method by peft_type ('LORA', 'IA3', 'PROMPT_TUNING', 'PREFIX_TUNING', 'BOTTLENECK').
 */
export function getPeftModel(
  model: PreTrainedModel,
  config: PeftConfigInput | BasePeftConfig,
  options: PeftModelOptions = {},
): PeftModel {
  if (model instanceof PeftModel)
    throw new ValueError('getPeftModel: the model is already a PeftModel');
  const method = peftMethodForType(config.peft_type);
  const peft = new PeftModel(model, method, options);
  peft.injectAdapter(options.adapterName ?? 'default', config, null, false);
  return peft;
}
