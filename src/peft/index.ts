/**
 * Parameter-efficient fine-tuning, after Hugging Face PEFT: one folder per method (lora, ia3,
 * prompt-tuning, prefix-tuning, adapter), each registered with one call; PeftModel with PEFT's
 * API in camelCase; PEFT's and AdapterHub's directory formats.
 */
export * from './config.js';
export * from './registry.js';
export {
  PeftModel,
  getPeftModel,
  type PeftModelOptions,
  type TrainableParameterReport,
} from './peft-model.js';
export {
  PEFT_CONFIG_NAME,
  PEFT_WEIGHTS_NAME,
  peftTensors,
  readAdapterDirectory,
  removeAdapterName,
  type AdapterDirectory,
  type SaveAdaptersOptions,
} from './save-load.js';
export { AdapterDict, ParamDict } from './utils/dicts.js';
export { ModulesToSaveWrapper, cloneModule } from './utils/modules-to-save.js';
export { isTargeted, matchesTarget, patternValue, type TargetModules } from './utils/targets.js';
export { inputEmbeddings, modelDims, type ModelDims } from './utils/model-info.js';
export * from './lora/index.js';
export * from './ia3/index.js';
export * from './prompt-tuning/index.js';
export * from './prefix-tuning/index.js';
export * from './adapter/index.js';
