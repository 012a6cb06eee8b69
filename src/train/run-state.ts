/**
 * The bookkeeping of one training run: the plan (steps per epoch, total steps) that follows from
 * the data and arguments, the data position, the running counters, and how they are written into
 * a checkpoint's trainer_state.json and restored from it.
 */
import { CheckpointError, ValueError, type Generator } from '../core/index.js';
import type { LRScheduler, Optimizer } from '../optim/index.js';
import type { TrainingArguments } from './args.js';
import type { LogEntry, TrainerCallback, TrainerState } from './callbacks.js';
import { loadModelTensors, type LoadedCheckpoint, type SavedTrainerState } from './checkpoint.js';
import type { TrainableModel } from './types.js';

/** Quantities of a run that follow from the dataset size and the arguments. */
export interface Plan {
  numExamples: number;
  numBatches: number;
  /** Optimizer steps per epoch: ceil(batches / gradientAccumulationSteps). */
  updatesPerEpoch: number;
  maxSteps: number;
  numEpochs: number;
  dataSeed: number;
}

/** Where the data stands: the epoch being run and how many of its optimizer steps are done. */
export interface Position {
  epochIndex: number;
  stepsInEpoch: number;
}

/** Running sums and the last step's values: saved so resumed logs continue exactly. */
export interface RunCounters {
  totalLoss: { sum: number; steps: number };
  pendingLoss: { sum: number; steps: number };
  lastGradNorm: number;
  /** The learning rate the last step used (logged; the scheduler has already moved on). */
  lastLearningRate: number;
  samplesSeen: number;
  tokensSeen: number;
}

export function newCounters(): RunCounters {
  return {
    totalLoss: { sum: 0, steps: 0 },
    pendingLoss: { sum: 0, steps: 0 },
    lastGradNorm: NaN,
    lastLearningRate: NaN,
    samplesSeen: 0,
    tokensSeen: 0,
  };
}

/** Steps and epochs as Hugging Face counts them (maxSteps > 0 overrides numTrainEpochs). */
export function makePlan(args: TrainingArguments, numExamples: number): Plan {
  const bs = args.perDeviceTrainBatchSize;
  const n = numExamples;
  const numBatches = args.dataloaderDropLast ? Math.floor(n / bs) : Math.ceil(n / bs);
  if (numBatches === 0) {
    throw new ValueError(
      `Trainer.train: ${n} training examples make no batch of ${bs}${args.dataloaderDropLast ? ' (dataloaderDropLast)' : ''}`,
    );
  }
  const updatesPerEpoch = Math.ceil(numBatches / args.gradientAccumulationSteps);
  const byEpochs = args.maxSteps <= 0;
  return {
    numExamples: n,
    numBatches,
    updatesPerEpoch,
    maxSteps: byEpochs ? Math.ceil(args.numTrainEpochs * updatesPerEpoch) : args.maxSteps,
    numEpochs: byEpochs
      ? Math.ceil(args.numTrainEpochs)
      : Math.ceil(args.maxSteps / updatesPerEpoch),
    dataSeed: args.dataSeed ?? args.seed,
  };
}

/** Callbacks with state, keyed by name (a repeated name gets '#1', '#2', ...). */
export function statefulCallbacks(
  callbacks: readonly TrainerCallback[],
): [string, TrainerCallback][] {
  const out: [string, TrainerCallback][] = [];
  const used = new Map<string, number>();
  for (const cb of callbacks) {
    if (typeof cb.stateDict !== 'function') continue;
    const base = cb.name ?? cb.constructor.name;
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    out.push([n === 0 ? base : `${base}#${n}`, cb]);
  }
  return out;
}

export interface RunParts {
  args: TrainingArguments;
  plan: Plan;
  state: TrainerState;
  counters: RunCounters;
  generators: Record<string, Generator>;
  callbacks: readonly TrainerCallback[];
}

/** trainer_state.json's content at `position`, with metricsLines lines of metrics.jsonl. */
export function savedState(
  run: RunParts,
  position: Position,
  metricsLines: number,
): SavedTrainerState {
  const { args, plan, state, counters: c } = run;
  const callbacks: Record<string, Record<string, unknown>> = {};
  for (const [key, cb] of statefulCallbacks(run.callbacks)) callbacks[key] = cb.stateDict!();
  const rngStates: SavedTrainerState['rngStates'] = {};
  for (const [name, g] of Object.entries(run.generators)) rngStates[name] = g.getState();
  return {
    format: 'osmosis-trainer-state',
    version: 1,
    globalStep: state.globalStep,
    epoch: state.epoch,
    epochIndex: position.epochIndex,
    stepsInEpoch: position.stepsInEpoch,
    maxSteps: plan.maxSteps,
    numTrainEpochs: plan.numEpochs,
    updatesPerEpoch: plan.updatesPerEpoch,
    numExamples: plan.numExamples,
    trainBatchSize: args.perDeviceTrainBatchSize,
    gradientAccumulationSteps: args.gradientAccumulationSteps,
    dataSeed: plan.dataSeed,
    logHistory: state.logHistory,
    bestMetric: state.bestMetric,
    bestModelCheckpoint: state.bestModelCheckpoint,
    totalLoss: { ...c.totalLoss },
    pendingLoss: { ...c.pendingLoss },
    lastGradNorm: c.lastGradNorm,
    lastLearningRate: c.lastLearningRate,
    samplesSeen: c.samplesSeen,
    tokensSeen: c.tokensSeen,
    metricsLines,
    rngStates,
    callbacks,
  };
}

export interface RestoreTargets extends RunParts {
  model: TrainableModel;
  optimizer: Optimizer;
  scheduler: LRScheduler;
}

/**
 * Check that a checkpoint fits this run (generators, stateful callbacks, data position), then
 * restore weights, optimizer, scheduler, generators, callbacks, trainer state and counters. A
 * failed check changes nothing; the weights, then the optimizer and scheduler state, are each
 * validated in full before they are copied, so a load fails before touching the model when the
 * weights do not fit. A different data layout (dataset size, batch size, accumulation, seed) is
 * allowed with a warning: the run goes on, but not bitwise like the uninterrupted one.
 */
export function restoreRun(ckpt: LoadedCheckpoint, t: RestoreTargets): void {
  const { dir, state: saved } = ckpt;
  const fail = (why: string): never => {
    throw new CheckpointError(`cannot resume from ${dir}: ${why}`);
  };
  const names = Object.keys(t.generators).sort();
  const savedNames = Object.keys(saved.rngStates).sort();
  if (names.join() !== savedNames.join()) {
    fail(
      `it holds generator states [${savedNames.join(', ')}], the trainer was given [${names.join(', ')}]`,
    );
  }
  const stateful = statefulCallbacks(t.callbacks);
  for (const [key] of stateful) {
    if (!Object.hasOwn(saved.callbacks, key)) fail(`it holds no state for callback '${key}'`);
  }
  if (saved.stepsInEpoch > t.plan.updatesPerEpoch) {
    fail(`its position (step ${saved.stepsInEpoch} of an epoch) is past this data's epoch`);
  }
  const sameLayout =
    saved.numExamples === t.plan.numExamples &&
    saved.trainBatchSize === t.args.perDeviceTrainBatchSize &&
    saved.gradientAccumulationSteps === t.args.gradientAccumulationSteps &&
    saved.dataSeed === t.plan.dataSeed;
  if (!sameLayout) {
    process.emitWarning(
      `resuming from ${dir} with a different data layout (examples ${saved.numExamples} -> ${t.plan.numExamples}, batch ${saved.trainBatchSize} -> ${t.args.perDeviceTrainBatchSize}, accumulation ${saved.gradientAccumulationSteps} -> ${t.args.gradientAccumulationSteps}, seed ${saved.dataSeed} -> ${t.plan.dataSeed}); the run continues but will not match an uninterrupted one`,
    );
  }
  loadModelTensors(t.model, ckpt.model, `${dir}/model.safetensors`);
  try {
    t.optimizer.loadStateDict(ckpt.optimizer);
    t.scheduler.loadStateDict(ckpt.scheduler);
    for (const [name, g] of Object.entries(t.generators)) g.setState(saved.rngStates[name]!);
    for (const [key, cb] of stateful) cb.loadStateDict?.(saved.callbacks[key]!);
  } catch (err) {
    throw new CheckpointError(`cannot resume from ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  Object.assign(t.state, {
    globalStep: saved.globalStep,
    epoch: saved.epoch,
    logHistory: saved.logHistory as LogEntry[],
    bestMetric: saved.bestMetric,
    bestModelCheckpoint: saved.bestModelCheckpoint,
  });
  Object.assign(t.counters, {
    totalLoss: { ...saved.totalLoss },
    pendingLoss: { ...saved.pendingLoss },
    lastGradNorm: saved.lastGradNorm ?? NaN,
    lastLearningRate: saved.lastLearningRate ?? NaN,
    samplesSeen: saved.samplesSeen,
    tokensSeen: saved.tokensSeen,
  });
}
