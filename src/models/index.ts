/**
 * Model families with Hugging Face names (GPT-2, BERT, Llama), loading and saving Hugging Face
 * directories, the Auto classes and generation.
 */
export * from './common/config.js';
export * from './common/outputs.js';
export * from './common/losses.js';
export { HF_ACTIVATIONS, hfActivation, type HfActivation } from './common/activations.js';
export { hfInit, type HfInitOptions } from './common/init.js';
export {
  PreTrainedModel,
  type ArchitectureSpec,
  type BaseConfig,
  type ModelOptions,
  type PreTrainedModelClass,
  type Task,
} from './common/pretrained.js';
export {
  loadCheckpointInto,
  loadPretrained,
  type FromPretrainedOptions,
  type LoadCheckpointOptions,
  type LoadingInfo,
} from './checkpoint/load.js';
export {
  parseSize,
  savePretrained,
  type SaveDType,
  type SavePretrainedOptions,
} from './checkpoint/save.js';
export { readCheckpointTensors, readConfigJson } from './checkpoint/files.js';
export * from './registry.js';
export * from './auto.js';
export * from './gpt2/index.js';
export * from './bert/index.js';
export * from './llama/index.js';
export * from './generation/index.js';
