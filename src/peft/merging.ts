import { ValueError } from '../core/index.js';
import type { PreTrainedModel } from '../models/index.js';
import type { PeftModel } from './peft-model.js';
import type { PeftMethod, Tuner } from './registry.js';
import type { ModulesToSaveWrapper } from './utils/modules-to-save.js';

/** A tuner whose adapters fold into the base weights (LoRA, IA3). */
export type MergeableTuner = Required<Pick<Tuner, 'merge' | 'unmerge' | 'unload'>>;

/** The tuner, if its method merges; a ValueError naming the PeftModel operation otherwise. */
export function mergeableTuner(method: PeftMethod, tuner: Tuner, op: string): MergeableTuner {
  if (!method.mergeable || !tuner.merge || !tuner.unmerge || !tuner.unload) {
    throw new ValueError(`PeftModel.${op}: ${method.name} adapters cannot be merged`);
  }
  return tuner as MergeableTuner;
}

/**
 * The last step of unload / mergeAndUnload: each modules_to_save wrapper gives way to the active
 * adapter's trained copy (or the original module when that adapter has none), and the model is
 * trainable again. The wrappers map is emptied.
 */
export function restoreModulesToSave(
  model: PreTrainedModel,
  wrappers: Map<string, ModulesToSaveWrapper>,
  active: string,
): PreTrainedModel {
  for (const [key, w] of wrappers) {
    model.setSubmodule(
      key,
      w.hasAdapter(active) ? w.modules_to_save.get(active) : w.original_module,
    );
  }
  wrappers.clear();
  model.unfreeze();
  return model;
}

/** A tuner with PEFT's add_weighted_adapter (LoRA's, see LoraModel.addWeightedAdapter). */
interface WeightedAdapterTuner {
  addWeightedAdapter(
    peft: PeftModel,
    adapters: readonly string[],
    weights: readonly number[],
    name: string,
    combinationType: string,
  ): void;
}

/** The PeftModel's tuner if it combines adapters; a ValueError naming its method otherwise. */
export function weightedAdapterTuner(peft: PeftModel): WeightedAdapterTuner {
  const t = peft.tuner as Partial<WeightedAdapterTuner>;
  if (!t.addWeightedAdapter) {
    throw new ValueError(
      `addWeightedAdapter: only for LoRA adapters, this model has ${peft.method.name} adapters`,
    );
  }
  return t as WeightedAdapterTuner;
}
