/**
 * The Trainer, in the shape Hugging Face users know (camelCase):
 *
 *   const trainer = new Trainer({ model, args, trainDataset, evalDataset, dataCollator,
 *                                 computeMetrics, callbacks });
 *   await trainer.train({ resumeFromCheckpoint: true });
 *   const metrics = await trainer.evaluate();
 *
 * One optimizer step = gradientAccumulationSteps micro-batches (fewer for the last step of an
 * epoch when the batches do not divide evenly), each micro-batch's loss divided by the number of
 * micro-batches in its step, so accumulation averages like one large batch. The step's gradients
 * are checked for NaN/Inf, clipped to maxGradNorm, and applied; the schedule advances once per
 * optimizer step. Logging, evaluation and checkpointing follow their strategies after each step
 * and at the end of each epoch.
 *
 * Exact resume: the data order of each epoch is a pure function of (dataSeed, epoch), and a
 * checkpoint holds the weights, the optimizer and scheduler state, the data position, the running
 * loss sums, the states of the generators handed in (dropout) and of stateful callbacks. A run
 * resumed from checkpoint-k takes bitwise the same steps as one that never stopped.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import {
  CheckpointError,
  memoryScope,
  mul,
  NonFiniteError,
  saveSafetensors,
  ValueError,
  type Generator,
  type Tensor,
} from '../core/index.js';
import {
  assertFiniteLoss,
  clipGradNorm,
  type LRScheduler,
  type Optimizer,
} from '../optim/index.js';
import { ProgressBar } from '../util/progress.js';
import { bestMetricOf, evalStepsOf, trainingArguments, type TrainingArguments } from './args.js';
import {
  isBetter,
  newControl,
  type LogEntry,
  type StepInfo,
  type TrainerCallback,
  type TrainerControl,
  type TrainerState,
} from './callbacks.js';
import {
  checkpointName,
  lastCheckpoint,
  loadCheckpointWeights,
  moduleTensors,
  readCheckpoint,
  removeStaleTemps,
  rotateCheckpoints,
  saveCheckpoint,
} from './checkpoint.js';
import {
  batchSizeOf,
  defaultDataCollator,
  epochPermutation,
  tokenCountOf,
  type Batch,
  type DataCollator,
  type Dataset,
} from './data.js';
import { predictionLoop } from './evaluation.js';
import { JsonlWriter } from './jsonl.js';
import { createOptimizer, createScheduler, trainableParameters } from './optimization.js';
import {
  makePlan,
  newCounters,
  restoreRun,
  savedState,
  type Plan,
  type Position,
  type RunCounters,
} from './run-state.js';
import type {
  ComputeMetrics,
  PredictionOutput,
  TrainableModel,
  TrainerOptions,
  TrainOutput,
} from './types.js';

export const METRICS_FILE = 'metrics.jsonl';

export class Trainer<T = Record<string, unknown>> {
  readonly model: TrainableModel;
  readonly args: TrainingArguments;
  trainDataset: Dataset<T> | undefined;
  evalDataset: Dataset<T> | undefined;
  readonly dataCollator: DataCollator<T>;
  computeMetrics: ComputeMetrics | undefined;
  readonly callbacks: TrainerCallback[];
  readonly generators: Record<string, Generator>;
  optimizer: Optimizer | null;
  lrScheduler: LRScheduler | null;
  state: TrainerState = freshState(0, 0);
  control: TrainerControl = newControl();

  private readonly options: TrainerOptions<T>;
  private metricsLog: JsonlWriter | null = null;
  private plan: Plan | null = null;
  private counters: RunCounters = newCounters();
  /** Step of the evaluation that set the current best metric (-1: none in this run). */
  private bestStep = -1;
  private lastEvalStep = -1;
  private lastSaveStep = -1;

  constructor(options: TrainerOptions<T>) {
    this.options = options;
    this.model = options.model;
    this.args = trainingArguments(options.args);
    this.trainDataset = options.trainDataset;
    this.evalDataset = options.evalDataset;
    this.dataCollator = options.dataCollator ?? (defaultDataCollator as unknown as DataCollator<T>);
    this.computeMetrics = options.computeMetrics;
    this.callbacks = [...(options.callbacks ?? [])];
    this.generators = { ...(options.generators ?? {}) };
    this.optimizer = options.optimizers?.optimizer ?? null;
    this.lrScheduler = options.optimizers?.scheduler ?? null;
  }

  addCallback(callback: TrainerCallback): void {
    this.callbacks.push(callback);
  }

  // ------------------------------------------------------------------------------ training

  /**
   * Train. resumeFromCheckpoint: a checkpoint directory, or true for the latest valid one in
   * outputDir. Throws NonFiniteError naming the step when a loss or gradient is NaN/Inf (with
   * onNonFinite 'error'); the weights then hold the previous step's values.
   */
  async train(options: { resumeFromCheckpoint?: string | boolean } = {}): Promise<TrainOutput> {
    const args = this.args;
    if (!this.trainDataset) throw new ValueError('Trainer.train: no trainDataset was given');
    const plan = makePlan(args, this.trainDataset.length);
    this.plan = plan;
    fs.mkdirSync(args.outputDir, { recursive: true });
    await removeStaleTemps(args.outputDir);
    const resumeDir = await this.resolveResume(options.resumeFromCheckpoint);

    // Each train() starts from fresh optimizer and schedule state unless they were handed in.
    if (!this.options.optimizers?.optimizer) this.optimizer = createOptimizer(this.model, args);
    if (!this.options.optimizers?.scheduler) {
      this.lrScheduler = createScheduler(this.optimizer!, args, plan.maxSteps);
    }
    const params = trainableParameters(this.model);
    this.state = freshState(plan.maxSteps, plan.numEpochs);
    this.counters = newCounters();
    this.bestStep = -1;
    this.lastEvalStep = -1;
    this.lastSaveStep = -1;
    let position: Position = { epochIndex: 0, stepsInEpoch: 0 };
    this.metricsLog?.close();
    const metricsPath = join(args.outputDir, METRICS_FILE);
    if (resumeDir !== null) {
      const ckpt = await readCheckpoint(resumeDir);
      restoreRun(ckpt, {
        ...this.runParts(),
        model: this.model,
        optimizer: this.optimizer!,
        scheduler: this.lrScheduler!,
      });
      const saved = ckpt.state;
      position = { epochIndex: saved.epochIndex, stepsInEpoch: saved.stepsInEpoch };
      this.lastSaveStep = saved.globalStep;
      // An evaluation at the checkpoint's step came before the save: it is not repeated.
      const evaluated = saved.logHistory.some(
        (e) => e.step === saved.globalStep && Object.keys(e).some((k) => k.startsWith('eval_')),
      );
      this.lastEvalStep = evaluated ? saved.globalStep : -1;
      this.metricsLog = new JsonlWriter(metricsPath, { keepLines: saved.metricsLines });
    } else {
      this.metricsLog = new JsonlWriter(metricsPath, { fresh: true });
    }
    this.state.isTraining = true;
    this.control = newControl();
    this.fire('onTrainBegin');

    const progress = args.disableProgressBar
      ? null
      : new ProgressBar({
          total: plan.maxSteps,
          label: 'train',
          unit: 'steps',
          stream: this.options.progressStream,
        });
    progress?.update(this.state.globalStep);
    const start = performance.now();
    const startStep = this.state.globalStep;
    const session = { samples: 0, tokens: 0 };
    const showProgress = (info: StepInfo): void => {
      if (!progress) return;
      const seconds = (performance.now() - start) / 1000;
      const shown: Record<string, number> = { loss: info.loss, lr: info.learningRate };
      if (seconds > 0) {
        shown['samples/s'] = session.samples / seconds;
        if (session.tokens > 0) shown['tokens/s'] = session.tokens / seconds;
      }
      progress.update(this.state.globalStep, shown);
    };

    try {
      let { epochIndex: e, stepsInEpoch: s } = position;
      while (e < plan.numEpochs) {
        const order = epochPermutation(plan.dataSeed, e, plan.numExamples);
        if (s === 0) this.fire('onEpochBegin');
        let stoppedByCallback = false;
        while (s < plan.updatesPerEpoch && this.state.globalStep < plan.maxSteps) {
          this.fire('onStepBegin');
          // The step's activations and gradient buffers go back to the memory pool when it
          // ends, so the next step reuses them instead of allocating (core/memory/scope.ts).
          const info = memoryScope(() => this.trainingStep(order, e, s, params, session));
          s += 1;
          this.state.globalStep += 1;
          this.state.epoch = e + s / plan.updatesPerEpoch;
          this.fire('onStepEnd', info);
          const atEnd = this.state.globalStep >= plan.maxSteps;
          this.flagStepEvents(atEnd);
          showProgress(info);
          stoppedByCallback = this.control.shouldTrainingStop && !atEnd;
          await this.logSaveEvaluate({ epochIndex: e, stepsInEpoch: s });
          if (this.control.shouldTrainingStop || this.control.shouldEpochStop) {
            stoppedByCallback ||= this.control.shouldTrainingStop && !atEnd;
            break;
          }
        }
        const reachedMax = this.state.globalStep >= plan.maxSteps;
        const epochDone = s >= plan.updatesPerEpoch || this.control.shouldEpochStop;
        this.control.shouldEpochStop = false;
        // Also when maxSteps ends the run mid-epoch (as HF), not when a callback stopped it.
        if ((epochDone || reachedMax) && !stoppedByCallback) {
          this.fire('onEpochEnd');
          const c = this.control;
          if (args.loggingStrategy === 'epoch') c.shouldLog = true;
          if (args.evalStrategy === 'epoch') c.shouldEvaluate = true;
          if (args.saveStrategy === 'epoch') c.shouldSave = true;
          await this.logSaveEvaluate(
            epochDone ? { epochIndex: e + 1, stepsInEpoch: 0 } : { epochIndex: e, stepsInEpoch: s },
          );
        }
        if (this.control.shouldTrainingStop || reachedMax || stoppedByCallback) break;
        e += 1;
        s = 0;
      }
    } finally {
      this.state.isTraining = false;
    }
    progress?.finish();

    if (args.loadBestModelAtEnd && this.state.bestModelCheckpoint !== null) {
      await loadCheckpointWeights(this.model, this.state.bestModelCheckpoint);
    }
    const seconds = (performance.now() - start) / 1000;
    const { totalLoss } = this.counters;
    const trainingLoss = totalLoss.steps === 0 ? NaN : totalLoss.sum / totalLoss.steps;
    const metrics: Record<string, number> = {
      train_runtime: seconds,
      train_samples_per_second: seconds > 0 ? session.samples / seconds : 0,
      train_steps_per_second: seconds > 0 ? (this.state.globalStep - startStep) / seconds : 0,
      train_loss: trainingLoss,
      epoch: this.state.epoch,
    };
    this.metricsLog.append({ event: 'train_end', step: this.state.globalStep, ...metrics });
    this.fire('onTrainEnd');
    return { globalStep: this.state.globalStep, trainingLoss, metrics };
  }

  /** The loss of one batch (options.computeLoss, else the model output's loss). */
  computeLoss(batch: Batch): Tensor {
    if (this.options.computeLoss) return this.options.computeLoss(this.model, batch);
    const out = this.model.forward(batch);
    if (!out.loss) {
      throw new ValueError(
        `Trainer: the model returned no loss for a batch with keys [${Object.keys(batch).join(', ')}]; does the collator produce labels?`,
      );
    }
    return out.loss;
  }

  private async resolveResume(resume: string | boolean | undefined): Promise<string | null> {
    if (resume === true) {
      const dir = await lastCheckpoint(this.args.outputDir);
      if (dir === null) {
        throw new CheckpointError(
          `resumeFromCheckpoint: no valid checkpoint in ${this.args.outputDir}`,
        );
      }
      return dir;
    }
    return typeof resume === 'string' ? resume : null;
  }

  /** The step strategies' flags after an optimizer step (HF's DefaultFlowCallback). */
  private flagStepEvents(atEnd: boolean): void {
    const args = this.args;
    const c = this.control;
    const step = this.state.globalStep;
    if (args.loggingStrategy === 'steps') {
      if (step % args.loggingSteps === 0 || (args.loggingFirstStep && step === 1)) {
        c.shouldLog = true;
      }
    }
    if (args.evalStrategy === 'steps' && step % evalStepsOf(args) === 0) c.shouldEvaluate = true;
    if (args.saveStrategy === 'steps' && (step % args.saveSteps === 0 || atEnd)) {
      c.shouldSave = true;
    }
    if (atEnd) c.shouldTrainingStop = true;
  }

  /** One optimizer step: forward/backward over its micro-batches, checks, clip, update. */
  private trainingStep(
    order: Int32Array,
    epochIndex: number,
    stepInEpoch: number,
    params: Tensor[],
    session: { samples: number; tokens: number },
  ): StepInfo {
    const args = this.args;
    const plan = this.plan!;
    const optimizer = this.optimizer!;
    const counters = this.counters;
    const step = this.state.globalStep + 1;
    const bs = args.perDeviceTrainBatchSize;
    const first = stepInEpoch * args.gradientAccumulationSteps;
    const last = Math.min(first + args.gradientAccumulationSteps, plan.numBatches);
    const k = last - first;
    const learningRate = optimizer.paramGroups[0]!.lr;
    counters.lastLearningRate = learningRate;
    this.model.train();
    let lossSum = 0;
    for (let b = first; b < last; b++) {
      const examples: T[] = [];
      for (let i = b * bs; i < Math.min((b + 1) * bs, plan.numExamples); i++) {
        examples.push(this.trainDataset![order[i]!]!);
      }
      const batch = this.dataCollator(examples);
      const loss = this.computeLoss(batch);
      let value: number;
      try {
        value = assertFiniteLoss(loss, step);
      } catch (err) {
        if (!(err instanceof NonFiniteError)) throw err;
        const where = `epoch ${epochIndex}, micro-batch ${b - first + 1} of ${k}`;
        return this.nonFinite(`loss ${loss.item()}`, step, where, err);
      }
      // Each micro-batch weighs 1/k: the step's gradient is that of the mean loss.
      (k === 1 ? loss : mul(loss, 1 / k)).backward();
      lossSum += value;
      const samples = batchSizeOf(batch);
      const tokens = tokenCountOf(batch);
      counters.samplesSeen += samples;
      counters.tokensSeen += tokens;
      session.samples += samples;
      session.tokens += tokens;
    }
    const loss = lossSum / k;
    if (!optimizer.gradsAreFinite()) {
      return this.nonFinite('gradient', step, `epoch ${epochIndex}`, null, loss);
    }
    // With maxGradNorm 0 the norm is still measured (for the logs); Infinity never scales.
    const gradNorm = clipGradNorm(params, args.maxGradNorm > 0 ? args.maxGradNorm : Infinity);
    optimizer.step();
    this.lrScheduler!.step();
    optimizer.zeroGrad();
    counters.lastGradNorm = gradNorm;
    counters.totalLoss.sum += loss;
    counters.totalLoss.steps += 1;
    counters.pendingLoss.sum += loss;
    counters.pendingLoss.steps += 1;
    return { loss, learningRate, gradNorm, applied: true };
  }

  /** A NaN/Inf loss or gradient at `step`: throw (weights untouched) or skip the update. */
  private nonFinite(
    what: string,
    step: number,
    where: string,
    cause: Error | null,
    loss = NaN,
  ): StepInfo {
    this.optimizer!.zeroGrad();
    this.model.zeroGrad();
    if (this.args.onNonFinite === 'error') {
      throw new NonFiniteError(
        `Trainer: non-finite ${what} at step ${step} (${where}); the weights were not updated at this step and hold the values after step ${step - 1}`,
        cause ? { cause } : undefined,
      );
    }
    // The step still counts (schedule and data move on), as a skipped AMP step does in torch.
    this.lrScheduler!.step();
    this.ensureMetricsLog().append({
      event: 'nonfinite',
      step,
      epoch: this.state.epoch,
      what,
      where,
    });
    const learningRate = this.counters.lastLearningRate;
    return { loss, learningRate, gradNorm: NaN, applied: false };
  }

  /** Act on the control flags: log, then evaluate, then save (Hugging Face's order). */
  private async logSaveEvaluate(position: Position): Promise<void> {
    const c = this.control;
    const step = this.state.globalStep;
    if (c.shouldLog) {
      c.shouldLog = false;
      const { pendingLoss, lastGradNorm, lastLearningRate } = this.counters;
      if (pendingLoss.steps > 0) {
        const loss = pendingLoss.sum / pendingLoss.steps;
        this.counters.pendingLoss = { sum: 0, steps: 0 };
        this.log({ loss, gradNorm: lastGradNorm, learningRate: lastLearningRate }, 'log');
      }
    }
    if (c.shouldEvaluate) {
      c.shouldEvaluate = false;
      if (this.lastEvalStep !== step) await this.evaluate();
    }
    if (c.shouldSave) {
      c.shouldSave = false;
      if (this.lastSaveStep !== step) await this.saveTrainingCheckpoint(position);
    }
  }

  // ------------------------------------------------------------------------------ logging

  /** Add an entry to the log history and metrics.jsonl, and tell the callbacks. */
  log(values: Record<string, number>, event = 'log'): void {
    const entry = { ...values, epoch: this.state.epoch, step: this.state.globalStep } as LogEntry;
    this.state.logHistory.push(entry);
    this.ensureMetricsLog().append({ event, ...entry, time: Date.now() / 1000 });
    this.fire('onLog', entry);
  }

  private ensureMetricsLog(): JsonlWriter {
    if (!this.metricsLog) {
      fs.mkdirSync(this.args.outputDir, { recursive: true });
      this.metricsLog = new JsonlWriter(join(this.args.outputDir, METRICS_FILE));
    }
    return this.metricsLog;
  }

  private fire<K extends keyof TrainerCallback>(hook: K, ...extra: unknown[]): void {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as
        | ((a: TrainingArguments, s: TrainerState, c: TrainerControl, ...x: unknown[]) => void)
        | undefined;
      if (typeof fn === 'function') fn.call(cb, this.args, this.state, this.control, ...extra);
    }
  }

  // ------------------------------------------------------------------------------ evaluation

  /**
   * Loss and computeMetrics over the eval dataset, keys prefixed 'eval_' (metricKeyPrefix).
   * Logged, and passed to the callbacks (early stopping) before bestMetric is updated.
   */
  async evaluate(
    options: { evalDataset?: Dataset<T>; metricKeyPrefix?: string } = {},
  ): Promise<Record<string, number>> {
    const dataset = options.evalDataset ?? this.evalDataset;
    if (!dataset) throw new ValueError('Trainer.evaluate: no evalDataset was given');
    const prefix = options.metricKeyPrefix ?? 'eval';
    const gather = this.computeMetrics !== undefined && !this.args.predictionLossOnly;
    const { metrics } = this.predict(dataset, { metricKeyPrefix: prefix, gather });
    this.log(metrics, prefix);
    this.fire('onEvaluate', metrics);
    this.lastEvalStep = this.state.globalStep;
    const best = bestMetricOf(this.args);
    if (best && Object.hasOwn(metrics, best.key)) {
      const value = metrics[best.key]!;
      if (isBetter(value, this.state.bestMetric, best.greaterIsBetter)) {
        this.state.bestMetric = value;
        this.bestStep = this.state.globalStep;
      }
    }
    return metrics;
  }

  /** Predictions (logits), labels and metrics over a dataset, keys prefixed 'test_'. */
  predict(
    dataset: Dataset<T>,
    options: { metricKeyPrefix?: string; gather?: boolean } = {},
  ): PredictionOutput {
    return predictionLoop({
      model: this.model,
      dataset,
      collator: this.dataCollator,
      batchSize: this.args.perDeviceEvalBatchSize,
      labelNames: this.args.labelNames,
      gather: options.gather ?? !this.args.predictionLossOnly,
      prefix: options.metricKeyPrefix ?? 'test',
      computeMetrics: this.computeMetrics,
      computeLoss: this.options.computeLoss,
      preprocessLogitsForMetrics: this.options.preprocessLogitsForMetrics,
    });
  }

  // ------------------------------------------------------------------------------ checkpoints

  private runParts() {
    return {
      args: this.args,
      plan: this.plan!,
      state: this.state,
      counters: this.counters,
      generators: this.generators,
      callbacks: this.callbacks,
    };
  }

  private async saveTrainingCheckpoint(position: Position): Promise<void> {
    const args = this.args;
    const step = this.state.globalStep;
    if (this.bestStep === step) {
      this.state.bestModelCheckpoint = join(args.outputDir, checkpointName(step));
    }
    // The checkpoint's own 'save' line is counted in: resuming from it keeps that line.
    const log = this.ensureMetricsLog();
    const state = savedState(this.runParts(), position, log.lines + 1);
    const final = await saveCheckpoint(
      args.outputDir,
      {
        model: this.model,
        optimizer: this.optimizer!,
        scheduler: this.lrScheduler!,
        args: { ...args },
        state,
        beforeCommit: () =>
          log.append({
            event: 'save',
            step,
            epoch: this.state.epoch,
            checkpoint: checkpointName(step),
          }),
      },
      this.options.onCheckpoint,
    );
    this.lastSaveStep = step;
    this.fire('onSave', final);
    await rotateCheckpoints(args.outputDir, args.saveTotalLimit, this.state.bestModelCheckpoint);
  }

  /** Save the model: savePretrained when it has one (HF and PEFT models), else its weights. */
  async saveModel(dir = this.args.outputDir): Promise<void> {
    const m = this.model as unknown as { savePretrained?: (d: string) => Promise<void> };
    if (typeof m.savePretrained === 'function') {
      await m.savePretrained(dir);
      return;
    }
    fs.mkdirSync(dir, { recursive: true });
    await saveSafetensors(join(dir, 'model.safetensors'), moduleTensors(this.model), {
      format: 'pt',
    });
  }
}

function freshState(maxSteps: number, numTrainEpochs: number): TrainerState {
  return {
    globalStep: 0,
    epoch: 0,
    maxSteps,
    numTrainEpochs,
    logHistory: [],
    bestMetric: null,
    bestModelCheckpoint: null,
    isTraining: false,
  };
}
