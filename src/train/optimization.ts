/**
 * The Trainer's default optimizer and schedule, as Hugging Face builds them: AdamW over the
 * trainable parameters in two groups, weight decay on weights and none on biases or normalisation
 * weights; the schedule named by lrSchedulerType over the run's optimizer steps.
 */
import { ValueError, type Tensor } from '../core/index.js';
import { LayerNorm, RMSNorm, type Module } from '../nn/index.js';
import {
  AdamW,
  ConstantWithWarmup,
  LambdaLR,
  LinearWarmupCosineDecay,
  LinearWarmupLinearDecay,
  type LRScheduler,
  type Optimizer,
} from '../optim/index.js';
import type { TrainingArguments } from './args.js';

// Hugging Face's forbidden name patterns (get_decay_parameter_names), matched against the
// lowercased full name: they catch biases and norms that are not LayerNorm/RMSNorm instances.
const NO_DECAY_NAME = /bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)/;

/**
 * Names of the trainable parameters that get weight decay: not biases, not parameters of
 * LayerNorm/RMSNorm modules (HF's get_decay_parameter_names).
 */
export function decayParameterNames(model: Module): Set<string> {
  const normParams = new Set<Tensor>();
  for (const [, m] of model.namedModules()) {
    if (m instanceof LayerNorm || m instanceof RMSNorm) {
      for (const p of m.parameters({ recurse: false })) normParams.add(p);
    }
  }
  const out = new Set<string>();
  for (const [name, p] of model.namedParameters()) {
    if (!p.requiresGrad || normParams.has(p)) continue;
    if (NO_DECAY_NAME.test(name.toLowerCase())) continue;
    out.add(name);
  }
  return out;
}

/** Parameters that train: those with requiresGrad (a PEFT model freezes its base). */
export function trainableParameters(model: Module): Tensor[] {
  return model.parameters().filter((p) => p.requiresGrad);
}

/** AdamW with a decay group and a no-decay group (in that order), hyperparameters from args. */
export function createOptimizer(model: Module, args: TrainingArguments): AdamW {
  const decay = decayParameterNames(model);
  const withDecay: Tensor[] = [];
  const without: Tensor[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (!p.requiresGrad) continue;
    (decay.has(name) ? withDecay : without).push(p);
  }
  if (withDecay.length + without.length === 0) {
    throw new ValueError('createOptimizer: the model has no trainable parameters');
  }
  return new AdamW(
    [
      { params: withDecay, weightDecay: args.weightDecay },
      { params: without, weightDecay: 0 },
    ],
    {
      lr: args.learningRate,
      betas: [args.adamBeta1, args.adamBeta2],
      eps: args.adamEpsilon,
      weightDecay: args.weightDecay,
    },
  );
}

/** Warmup steps: warmupSteps when set, else ceil(warmupRatio * total). */
export function warmupStepsOf(args: TrainingArguments, totalSteps: number): number {
  return args.warmupSteps > 0 ? args.warmupSteps : Math.ceil(args.warmupRatio * totalSteps);
}

/** The schedule named by args.lrSchedulerType over totalSteps optimizer steps. */
export function createScheduler(
  optimizer: Optimizer,
  args: TrainingArguments,
  totalSteps: number,
): LRScheduler {
  const warmupSteps = warmupStepsOf(args, totalSteps);
  switch (args.lrSchedulerType) {
    case 'linear':
      return new LinearWarmupLinearDecay(optimizer, { warmupSteps, totalSteps });
    case 'cosine':
      return new LinearWarmupCosineDecay(optimizer, { warmupSteps, totalSteps });
    case 'constant_with_warmup':
      return new ConstantWithWarmup(optimizer, { warmupSteps });
    case 'constant':
      return new LambdaLR(optimizer, () => 1);
  }
}
