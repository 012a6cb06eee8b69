/**
 * Trainer state, control flags and callbacks, as Hugging Face's TrainerState / TrainerControl /
 * TrainerCallback. Callbacks see the state and may set control flags (stop, evaluate, save, log);
 * a callback with stateDict/loadStateDict is saved in checkpoints so that a resumed run continues
 * it exactly (an early-stopping patience counter, for instance).
 */
import { ConfigError } from '../core/errors.js';
import { bestMetricOf, type TrainingArguments } from './args.js';

/** One entry of the log history: the step, the (fractional) epoch and the logged values. */
export type LogEntry = { step: number; epoch: number } & Record<string, number | null>;

export interface TrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Fractional epoch: 1.5 is halfway through the second epoch. */
  epoch: number;
  /** Optimizer steps the run will take in all. */
  maxSteps: number;
  numTrainEpochs: number;
  /** Every log and evaluation, in order (also in metrics.jsonl). */
  logHistory: LogEntry[];
  /** The best value so far of args.metricForBestModel. */
  bestMetric: number | null;
  /** The checkpoint directory saved at the best evaluation, when one was saved. */
  bestModelCheckpoint: string | null;
  isTraining: boolean;
}

/** Flags callbacks set to steer the loop; the trainer clears them after acting on them. */
export interface TrainerControl {
  shouldTrainingStop: boolean;
  shouldEpochStop: boolean;
  shouldLog: boolean;
  shouldEvaluate: boolean;
  shouldSave: boolean;
}

/** What one optimizer step did. */
export interface StepInfo {
  /** The mean loss of the step's micro-batches. */
  loss: number;
  /** The learning rate the step used (param group 0). */
  learningRate: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** False when the update was dropped for a non-finite value (onNonFinite 'skip'). */
  applied: boolean;
}

type Hook<Extra extends unknown[] = []> = (
  args: TrainingArguments,
  state: TrainerState,
  control: TrainerControl,
  ...extra: Extra
) => void;

export interface TrainerCallback {
  /** Key of this callback's state in checkpoints (default: the class name). */
  readonly name?: string;
  onTrainBegin?: Hook;
  onTrainEnd?: Hook;
  onEpochBegin?: Hook;
  onEpochEnd?: Hook;
  onStepBegin?: Hook;
  onStepEnd?: Hook<[info: StepInfo]>;
  onLog?: Hook<[logs: LogEntry]>;
  /** Called with the metrics before the trainer updates bestMetric (which still holds the old best). */
  onEvaluate?: Hook<[metrics: Record<string, number>]>;
  onSave?: Hook<[checkpointDir: string]>;
  /** JSON-able state saved in checkpoints. */
  stateDict?(): Record<string, unknown>;
  loadStateDict?(state: Record<string, unknown>): void;
}

export function newControl(): TrainerControl {
  return {
    shouldTrainingStop: false,
    shouldEpochStop: false,
    shouldLog: false,
    shouldEvaluate: false,
    shouldSave: false,
  };
}

/** Whether `value` beats `best` (strictly), in the metric's sense. */
export function isBetter(value: number, best: number | null, greaterIsBetter: boolean): boolean {
  if (best === null) return !Number.isNaN(value);
  return greaterIsBetter ? value > best : value < best;
}

export interface EarlyStoppingOptions {
  /** Evaluations without improvement after which training stops (default 1). */
  earlyStoppingPatience?: number;
  /** How much better than the best a value must be to count as an improvement (default 0). */
  earlyStoppingThreshold?: number;
}

/**
 * Stop when args.metricForBestModel has not improved on the best value by more than the
 * threshold for `patience` evaluations in a row (Hugging Face's EarlyStoppingCallback). Combine
 * with loadBestModelAtEnd to finish with the best weights rather than the last.
 */
export class EarlyStoppingCallback implements TrainerCallback {
  readonly name = 'EarlyStoppingCallback';
  readonly patience: number;
  readonly threshold: number;
  /** Evaluations in a row without improvement. */
  patienceCounter = 0;

  constructor(options: EarlyStoppingOptions = {}) {
    this.patience = options.earlyStoppingPatience ?? 1;
    this.threshold = options.earlyStoppingThreshold ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 1) {
      throw new ConfigError(
        `EarlyStoppingCallback: earlyStoppingPatience must be an integer >= 1, got ${this.patience}`,
      );
    }
    if (!(this.threshold >= 0 && Number.isFinite(this.threshold))) {
      throw new ConfigError(
        `EarlyStoppingCallback: earlyStoppingThreshold must be a finite number >= 0, got ${this.threshold}`,
      );
    }
  }

  onTrainBegin(args: TrainingArguments): void {
    if (bestMetricOf(args) === null) {
      throw new ConfigError(
        'EarlyStoppingCallback needs args.metricForBestModel (or loadBestModelAtEnd, which defaults it to loss)',
      );
    }
    if (args.evalStrategy === 'no') {
      throw new ConfigError("EarlyStoppingCallback needs evalStrategy 'steps' or 'epoch'");
    }
  }

  onEvaluate(
    args: TrainingArguments,
    state: TrainerState,
    control: TrainerControl,
    metrics: Record<string, number>,
  ): void {
    const metric = bestMetricOf(args);
    if (metric === null || !Object.hasOwn(metrics, metric.key)) {
      process.emitWarning(
        `EarlyStoppingCallback: the evaluation has no '${metric?.key}' (got ${Object.keys(metrics).join(', ')}); early stopping is not applied`,
      );
      return;
    }
    const value = metrics[metric.key]!;
    const best = state.bestMetric;
    const improved =
      best === null ||
      (isBetter(value, best, metric.greaterIsBetter) && Math.abs(value - best) > this.threshold);
    this.patienceCounter = improved ? 0 : this.patienceCounter + 1;
    if (this.patienceCounter >= this.patience) control.shouldTrainingStop = true;
  }

  stateDict(): Record<string, unknown> {
    return { patienceCounter: this.patienceCounter };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const c = state.patienceCounter;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) {
      throw new ConfigError(`EarlyStoppingCallback: malformed state ${JSON.stringify(state)}`);
    }
    this.patienceCounter = c;
  }
}
