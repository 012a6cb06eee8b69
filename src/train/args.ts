/**
 * TrainingArguments: Hugging Face's names in camelCase (output_dir -> outputDir, ...), a strict
 * zod schema (unknown keys are errors, not silently ignored), defaults as transformers has them.
 * Only what this Trainer implements is accepted, so a setting can never be quietly a no-op.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

const int = z.number().int();
const strategy = z.enum(['no', 'steps', 'epoch']);

export const trainingArgumentsSchema = z
  .object({
    /** Checkpoints (`checkpoint-<step>/`) and metrics.jsonl go here. */
    outputDir: z.string().min(1),
    /** May be fractional (2.5 epochs); ignored when maxSteps > 0. */
    numTrainEpochs: z.number().positive().finite().default(3),
    /** Optimizer steps to run; > 0 overrides numTrainEpochs (-1: use epochs). */
    maxSteps: int.min(-1).default(-1),
    perDeviceTrainBatchSize: int.positive().default(8),
    perDeviceEvalBatchSize: int.positive().default(8),
    gradientAccumulationSteps: int.positive().default(1),
    learningRate: z.number().nonnegative().finite().default(5e-5),
    /** AdamW's decoupled decay, not applied to biases or LayerNorm/RMSNorm weights (as HF). */
    weightDecay: z.number().nonnegative().finite().default(0),
    adamBeta1: z.number().min(0).lt(1).default(0.9),
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    adamEpsilon: z.number().nonnegative().finite().default(1e-8),
    /** Clip the global gradient norm to this (0 disables clipping). */
    maxGradNorm: z.number().nonnegative().finite().default(1),
    lrSchedulerType: z
      .enum(['linear', 'cosine', 'constant', 'constant_with_warmup'])
      .default('linear'),
    /** Linear warmup steps; when 0, ceil(warmupRatio * total steps) is used. */
    warmupSteps: int.nonnegative().default(0),
    warmupRatio: z.number().min(0).max(1).default(0),
    loggingStrategy: strategy.default('steps'),
    loggingSteps: int.positive().default(500),
    /** Also log after the first optimizer step. */
    loggingFirstStep: z.boolean().default(false),
    evalStrategy: strategy.default('no'),
    /** Default: loggingSteps (as HF). */
    evalSteps: int.positive().optional(),
    saveStrategy: strategy.default('steps'),
    saveSteps: int.positive().default(500),
    /** Keep at most this many checkpoints (the best one is never deleted); null keeps all. */
    saveTotalLimit: int.positive().nullable().default(null),
    /** Seeds the training data order (see dataSeed). */
    seed: int.default(42),
    /** Seed of the shuffling alone; default: seed. */
    dataSeed: int.optional(),
    dataloaderDropLast: z.boolean().default(false),
    /** A metric key, with or without the 'eval_' prefix; default 'loss' with loadBestModelAtEnd. */
    metricForBestModel: z.string().min(1).optional(),
    /** Default: false when metricForBestModel ends in 'loss', true otherwise. */
    greaterIsBetter: z.boolean().optional(),
    loadBestModelAtEnd: z.boolean().default(false),
    /** Evaluation returns the loss only (predictions are not gathered). */
    predictionLossOnly: z.boolean().default(false),
    /** Batch keys holding the labels that evaluation gathers for computeMetrics. */
    labelNames: z.array(z.string().min(1)).min(1).default(['labels']),
    disableProgressBar: z.boolean().default(false),
    /**
     * A NaN/Inf loss or gradient: 'error' throws NonFiniteError naming the step (weights
     * untouched); 'skip' drops that optimizer update, logs a 'nonfinite' event and goes on.
     */
    onNonFinite: z.enum(['error', 'skip']).default('error'),
  })
  .strict()
  .superRefine((a, ctx) => {
    const issue = (path: string, message: string): void =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    const evalSteps = a.evalSteps ?? a.loggingSteps;
    if (a.loadBestModelAtEnd) {
      if (a.evalStrategy === 'no') {
        issue('loadBestModelAtEnd', "needs evalStrategy 'steps' or 'epoch'");
      } else if (a.saveStrategy !== a.evalStrategy) {
        issue(
          'saveStrategy',
          `loadBestModelAtEnd needs saveStrategy to match evalStrategy ('${a.evalStrategy}'), got '${a.saveStrategy}'`,
        );
      } else if (a.evalStrategy === 'steps' && a.saveSteps % evalSteps !== 0) {
        issue(
          'saveSteps',
          `loadBestModelAtEnd needs saveSteps (${a.saveSteps}) to be a multiple of evalSteps (${evalSteps})`,
        );
      }
    }
  });

/** The arguments with every default filled in. */
export type TrainingArguments = z.output<typeof trainingArgumentsSchema>;
/** What a caller writes: everything but outputDir may be left out. */
export type TrainingArgumentsInput = z.input<typeof trainingArgumentsSchema>;

/** Validate and fill defaults; every problem is reported at once, each with its key. */
export function trainingArguments(input: unknown): TrainingArguments {
  const parsed = trainingArgumentsSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`,
    );
    throw new ConfigError(`invalid TrainingArguments:\n${lines.join('\n')}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The evaluation interval in steps (HF: evalSteps defaults to loggingSteps). */
export function evalStepsOf(args: TrainingArguments): number {
  return args.evalSteps ?? args.loggingSteps;
}

/** The key of the metric that picks the best model ('eval_loss' by default), and its sense. */
export function bestMetricOf(
  args: TrainingArguments,
): { key: string; greaterIsBetter: boolean } | null {
  const name = args.metricForBestModel ?? (args.loadBestModelAtEnd ? 'loss' : undefined);
  if (name === undefined) return null;
  const key = name.startsWith('eval_') ? name : `eval_${name}`;
  return { key, greaterIsBetter: args.greaterIsBetter ?? !key.endsWith('loss') };
}
