/** The Trainer's public types: what models, metrics functions and callers exchange with it. */
import type { Generator, Tensor } from '../core/index.js';
import type { Module } from '../nn/index.js';
import type { LRScheduler, Optimizer } from '../optim/index.js';
import type { TrainingArguments, TrainingArgumentsInput } from './args.js';
import type { TrainerCallback } from './callbacks.js';
import type { CheckpointObserver } from './checkpoint.js';
import type { Batch, DataCollator, Dataset } from './data.js';

/** What a model's forward returns: a loss when the batch has labels, logits for metrics. */
export interface ModelOutputLike {
  loss?: Tensor;
  logits?: Tensor;
}

/**
 * A model the Trainer can train: a Module whose forward takes the batch's named tensors (the
 * model families' forward({ inputIds, attentionMask, labels, ... }), a PEFT model, your own).
 * Only parameters with requiresGrad are trained.
 */
export type TrainableModel = Module & {
  forward(inputs: Batch): ModelOutputLike;
};

/** What computeMetrics receives: gathered predictions (logits) and labels of a dataset. */
export interface EvalPrediction {
  /** Every batch's logits concatenated on the first dim (second dim padded with -100). */
  predictions: Tensor;
  /** The first of args.labelNames, gathered the same way; null when batches have none. */
  labelIds: Tensor | null;
  /** Every label name that the batches had. */
  labels: Record<string, Tensor>;
}

export type ComputeMetrics = (p: EvalPrediction) => Record<string, number>;

export interface TrainerOptions<T> {
  model: TrainableModel;
  args: TrainingArguments | TrainingArgumentsInput;
  trainDataset?: Dataset<T>;
  evalDataset?: Dataset<T>;
  /** Default: defaultDataCollator (stacks equal-shaped fields). */
  dataCollator?: DataCollator<T>;
  computeMetrics?: ComputeMetrics;
  callbacks?: TrainerCallback[];
  /** Your own optimizer and/or scheduler (HF's `optimizers` pair); default AdamW + lrSchedulerType. */
  optimizers?: { optimizer?: Optimizer; scheduler?: LRScheduler };
  /**
   * Generators whose state is saved in checkpoints and restored on resume: pass the one your
   * model draws dropout masks from, or resumed runs will not match bitwise.
   */
  generators?: Record<string, Generator>;
  /** Replace the loss (default: the model output's loss). */
  computeLoss?: (model: TrainableModel, batch: Batch) => Tensor;
  /** Reduce logits before they are gathered (e.g. to argmax ids) to save memory. */
  preprocessLogitsForMetrics?: (logits: Tensor, labels: Tensor | null) => Tensor;
  /** Where the progress bar draws (default stderr). */
  progressStream?: NodeJS.WriteStream;
  /** Called as each checkpoint is written (stages: model, optimizer, scheduler, state, renamed). */
  onCheckpoint?: CheckpointObserver;
}

export interface TrainOutput {
  globalStep: number;
  /** Mean step loss over the whole run (resumed runs include the steps before the checkpoint). */
  trainingLoss: number;
  metrics: Record<string, number>;
}

export interface PredictionOutput {
  predictions: Tensor | null;
  labelIds: Tensor | null;
  metrics: Record<string, number>;
}
