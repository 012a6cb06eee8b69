export {
  Optimizer,
  checkFlag,
  checkHyper,
  withDefaults,
  zeroGradOf,
  type HyperValue,
  type ParamGroup,
  type ParamGroupInput,
  type ParamsInput,
  type ParamState,
  type StateSpec,
  type StepOptions,
  type ZeroGradOptions,
} from './optimizer.js';
export type { OptimizerStateDict, SavedBuffer } from './state.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export {
  assertFiniteLoss,
  clipGradNorm,
  clipGradValue,
  gradsAreFinite,
  type ClipGradNormOptions,
} from './clip.js';
export * from './schedules.js';
export {
  loadOptimizerState,
  optimizerStateFromSafetensors,
  optimizerStateToSafetensors,
  saveOptimizerState,
  type SafetensorsPayload,
} from './checkpoint.js';
