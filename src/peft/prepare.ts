import { ValueError } from '../core/index.js';
import type { PreTrainedModel, WarningHandler } from '../models/index.js';
import { parsePeftConfig, type BasePeftConfig, type PeftConfigInput } from './config.js';
import { peftMethodForType, type PeftMethod } from './registry.js';
import { withTaskHeads } from './utils/task-heads.js';

/** A new adapter's name: unique, non-empty, without '.' (it becomes a state-dict key part). */
export function checkAdapterName(name: string, existing: readonly string[]): void {
  if (existing.includes(name)) throw new ValueError(`PeftModel: adapter '${name}' already exists`);
  if (typeof name !== 'string' || !/^[^.\s]+$/.test(name)) {
    throw new ValueError(
      `PeftModel: adapter name must be non-empty without '.' or spaces, got '${name}'`,
    );
  }
}

/**
 * One adapter's config as PeftModel stores it (its peft_type must be the model's method): parsed with the method's schema (unknown keys
 * kept as extras, with a warning), checked and completed against the model by the method, the
 * task's heads added to modules_to_save, and base_model_name_or_path taken from the model when
 * the config has none (PEFT's get_peft_model does the same).
 */
export function prepareAdapterConfig(
  method: PeftMethod,
  model: PreTrainedModel,
  input: PeftConfigInput | BasePeftConfig,
  onWarning: WarningHandler,
): { config: BasePeftConfig; extras: Record<string, unknown> } {
  const other = peftMethodForType(input.peft_type);
  if (other !== method) {
    throw new ValueError(
      `PeftModel: cannot combine adapters of different types ('${method.name}' and '${other.name}') on one model`,
    );
  }
  const parsed = parsePeftConfig(method.name, method.peftType, method.configSchema, input, {
    onWarning,
    knownKeys: method.knownKeys,
  });
  const config = method.prepareConfig(parsed.config as unknown as BasePeftConfig, model);
  withTaskHeads(config);
  if (config.base_model_name_or_path === null) {
    const n = model.configExtras._name_or_path;
    if (typeof n === 'string' && n !== '') config.base_model_name_or_path = n;
  }
  return { config, extras: parsed.extras };
}
