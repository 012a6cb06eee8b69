import { StateDictError, ValueError } from '../core/index.js';

/** Anything with parameter groups that carry a learning rate (every Optimizer). */
export interface HasParamGroups {
  readonly paramGroups: { lr: number }[];
}

export interface LRSchedulerState {
  lastEpoch: number;
  baseLrs: number[];
}

/**
 * Learning-rate schedules in closed form (torch.optim.lr_scheduler): lr = baseLr * factor(step),
 * written into each param group. As in torch, constructing the scheduler applies step 0, and
 * scheduler.step() is called once after each optimizer.step(). step() allocates nothing.
 */
export abstract class LRScheduler {
  readonly optimizer: HasParamGroups;
  /** The groups' learning rates when the scheduler was created (torch's initial_lr). */
  readonly baseLrs: number[];
  /** How many times step() has run since construction (0 right after it). */
  lastEpoch = -1;
  private readonly lastLr: number[];

  constructor(optimizer: HasParamGroups) {
    this.optimizer = optimizer;
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.lastLr = [...this.baseLrs];
  }

  /** The multiplier of group i's base learning rate at a step. */
  protected abstract factor(step: number, group: number): number;

  /** Subclasses call this at the end of their constructor (torch's _initial_step). */
  protected initialStep(): void {
    this.step();
  }

  step(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.baseLrs.length) {
      throw new ValueError(
        `${this.constructor.name}: the optimizer has ${groups.length} param groups, the scheduler was built for ${this.baseLrs.length}`,
      );
    }
    this.lastEpoch += 1;
    for (let i = 0; i < groups.length; i++) {
      const lr = this.baseLrs[i] * this.factor(this.lastEpoch, i);
      groups[i].lr = lr;
      this.lastLr[i] = lr;
    }
  }

  /** The learning rates the last step() set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): LRSchedulerState {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs] };
  }

  /** Resume: restores the step count and base rates and re-applies the rates at that step. */
  loadStateDict(state: LRSchedulerState): void {
    const name = `${this.constructor.name}.loadStateDict`;
    const ok =
      typeof state === 'object' &&
      state !== null &&
      Number.isSafeInteger(state.lastEpoch) &&
      state.lastEpoch >= 0 &&
      Array.isArray(state.baseLrs) &&
      state.baseLrs.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
    if (!ok) throw new StateDictError(`${name}: malformed state ${JSON.stringify(state)}`);
    if (state.baseLrs.length !== this.baseLrs.length) {
      throw new StateDictError(
        `${name}: the state has ${state.baseLrs.length} base rates, the optimizer ${this.baseLrs.length} param groups`,
      );
    }
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    this.lastEpoch = state.lastEpoch - 1;
    this.step();
  }
}

/** lr = baseLr * lambda(step) (torch.optim.lr_scheduler.LambdaLR); one lambda or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((step: number) => number)[];

  constructor(
    optimizer: HasParamGroups,
    lrLambda: ((step: number) => number) | readonly ((step: number) => number)[],
  ) {
    super(optimizer);
    const n = optimizer.paramGroups.length;
    this.lambdas = typeof lrLambda === 'function' ? Array(n).fill(lrLambda) : [...lrLambda];
    if (this.lambdas.length !== n) {
      throw new ValueError(`LambdaLR: got ${this.lambdas.length} lambdas for ${n} param groups`);
    }
    this.initialStep();
  }

  protected factor(step: number, group: number): number {
    return this.lambdas[group](step);
  }
}

/** torch's ConstantLR: factor for the first totalIters steps, then 1. */
export class ConstantLR extends LRScheduler {
  constructor(
    optimizer: HasParamGroups,
    readonly options: { factor?: number; totalIters?: number } = {},
  ) {
    super(optimizer);
    const f = options.factor ?? 1 / 3;
    if (!(f >= 0 && f <= 1)) throw new ValueError(`ConstantLR: factor must be in [0, 1], got ${f}`);
    this.initialStep();
  }

  protected factor(step: number): number {
    return step < (this.options.totalIters ?? 5) ? (this.options.factor ?? 1 / 3) : 1;
  }
}

export interface WarmupOptions {
  warmupSteps: number;
}

export interface WarmupDecayOptions extends WarmupOptions {
  totalSteps: number;
}

function checkSteps(name: string, warmup: number, total?: number): void {
  const bad = (x: number): boolean => !Number.isSafeInteger(x) || x < 0;
  if (bad(warmup) || (total !== undefined && bad(total))) {
    throw new ValueError(
      `${name}: warmupSteps${total === undefined ? '' : ' and totalSteps'} must be non-negative integers, got ${warmup}${total === undefined ? '' : `, ${total}`}`,
    );
  }
}

// The factors below are Hugging Face transformers' lr lambdas, term for term (optimization.py).

/** get_constant_schedule_with_warmup's factor. */
export function constantWithWarmupFactor(step: number, warmupSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return 1;
}

/** get_linear_schedule_with_warmup's factor. */
export function linearWarmupLinearDecayFactor(
  step: number,
  warmupSteps: number,
  totalSteps: number,
): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** get_cosine_schedule_with_warmup's factor (numCycles 0.5: one half-cosine down to 0). */
export function linearWarmupCosineDecayFactor(
  step: number,
  warmupSteps: number,
  totalSteps: number,
  numCycles = 0.5,
): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
}

export class ConstantWithWarmup extends LRScheduler {
  constructor(
    optimizer: HasParamGroups,
    readonly options: WarmupOptions,
  ) {
    super(optimizer);
    checkSteps('ConstantWithWarmup', options.warmupSteps);
    this.initialStep();
  }

  protected factor(step: number): number {
    return constantWithWarmupFactor(step, this.options.warmupSteps);
  }
}

export class LinearWarmupLinearDecay extends LRScheduler {
  constructor(
    optimizer: HasParamGroups,
    readonly options: WarmupDecayOptions,
  ) {
    super(optimizer);
    checkSteps('LinearWarmupLinearDecay', options.warmupSteps, options.totalSteps);
    this.initialStep();
  }

  protected factor(step: number): number {
    return linearWarmupLinearDecayFactor(step, this.options.warmupSteps, this.options.totalSteps);
  }
}

export class LinearWarmupCosineDecay extends LRScheduler {
  constructor(
    optimizer: HasParamGroups,
    readonly options: WarmupDecayOptions & { numCycles?: number },
  ) {
    super(optimizer);
    checkSteps('LinearWarmupCosineDecay', options.warmupSteps, options.totalSteps);
    this.initialStep();
  }

  protected factor(step: number): number {
    const { warmupSteps, totalSteps, numCycles = 0.5 } = this.options;
    return linearWarmupCosineDecayFactor(step, warmupSteps, totalSteps, numCycles);
  }
}

// Hugging Face's factory names, for code ported from transformers.

export function getConstantSchedule(optimizer: HasParamGroups): LambdaLR {
  return new LambdaLR(optimizer, () => 1);
}

export function getConstantScheduleWithWarmup(
  optimizer: HasParamGroups,
  numWarmupSteps: number,
): ConstantWithWarmup {
  return new ConstantWithWarmup(optimizer, { warmupSteps: numWarmupSteps });
}

export function getLinearScheduleWithWarmup(
  optimizer: HasParamGroups,
  numWarmupSteps: number,
  numTrainingSteps: number,
): LinearWarmupLinearDecay {
  return new LinearWarmupLinearDecay(optimizer, {
    warmupSteps: numWarmupSteps,
    totalSteps: numTrainingSteps,
  });
}

export function getCosineScheduleWithWarmup(
  optimizer: HasParamGroups,
  numWarmupSteps: number,
  numTrainingSteps: number,
  numCycles = 0.5,
): LinearWarmupCosineDecay {
  return new LinearWarmupCosineDecay(optimizer, {
    warmupSteps: numWarmupSteps,
    totalSteps: numTrainingSteps,
    numCycles,
  });
}
