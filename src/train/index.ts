/** Training: the Trainer, its arguments and callbacks, checkpoints, metrics and task helpers. */
export {
  bestMetricOf,
  evalStepsOf,
  trainingArguments,
  trainingArgumentsSchema,
  type TrainingArguments,
  type TrainingArgumentsInput,
} from './args.js';
export {
  EarlyStoppingCallback,
  isBetter,
  newControl,
  type EarlyStoppingOptions,
  type LogEntry,
  type StepInfo,
  type TrainerCallback,
  type TrainerControl,
  type TrainerState,
} from './callbacks.js';
export {
  CHECKPOINT_PREFIX,
  MODEL_FILE,
  OPTIMIZER_FILE,
  SCHEDULER_FILE,
  TRAINER_STATE_FILE,
  TRAINING_ARGS_FILE,
  checkpointName,
  lastCheckpoint,
  listCheckpoints,
  loadCheckpointWeights,
  readCheckpoint,
  readTrainerState,
  removeStaleTemps,
  rotateCheckpoints,
  saveCheckpoint,
  savedTrainerStateSchema,
  type CheckpointObserver,
  type CheckpointStage,
  type LoadedCheckpoint,
  type SavedTrainerState,
} from './checkpoint.js';
export {
  batchSizeOf,
  concatPadded,
  defaultDataCollator,
  epochPermutation,
  tokenCountOf,
  type Batch,
  type DataCollator,
  type Dataset,
} from './data.js';
export { JsonlWriter, readJsonl, type JsonlOpenOptions, type JsonlRecord } from './jsonl.js';
export {
  accuracy,
  argmaxLast,
  macroF1,
  perClassF1,
  perplexity,
  perplexityFromLoss,
  squadMetrics,
  tokenNll,
  type F1Options,
  type LabelOptions,
  type NllOptions,
  type PerClassScores,
} from './metrics.js';
export {
  createOptimizer,
  createScheduler,
  decayParameterNames,
  trainableParameters,
  warmupStepsOf,
} from './optimization.js';
export { METRICS_FILE, Trainer } from './trainer.js';
export type {
  ComputeMetrics,
  EvalPrediction,
  ModelOutputLike,
  PredictionOutput,
  TrainableModel,
  TrainerOptions,
  TrainOutput,
} from './types.js';
export { predictionLoop, type PredictionLoopOptions } from './evaluation.js';
export { makePlan, type Plan, type Position } from './run-state.js';
export * from './tasks/index.js';
