/**
 * Meta-learning over a distribution of tasks, min_θ E_{i~p(i)} L_i(U_i(θ)), where U_i is K steps
 * of gradient descent on task i's support loss (the inner loop). Written over flat parameter
 * vectors and an abstract task, so the update math is tested on linear regression and reused
 * unchanged for policy networks in environments.
 *
 * - First-order MAML (Finn et al. 2017, sec. 5.2): the meta-gradient is the query-loss gradient
 *   at the adapted parameters, ∇L_i^query(φ_i), dropping the Jacobian dφ_i/dθ.
 * - Reptile (Nichol et al. 2018): the meta-"gradient" is θ − φ_i; with SGD of rate ε the outer
 *   step is θ ← θ + ε·mean_i(φ_i − θ). It needs K > 1 to differ from joint training.
 * - ANIL (Raghu et al. 2020): the inner loop adapts only the head (a mask over the vector); the
 *   outer step is first-order here too (∇L_i^query(φ_i) for body and head).
 * - joint: multi-task training, the mean support gradient at θ (no inner loop): the baseline
 *   initialisation meta-learning is compared with.
 */
import { Tensor, ValueError } from '../../core/index.js';
import { Parameter } from '../../nn/index.js';
import { Adam, SGD, type Optimizer } from '../../optim/index.js';

export type MetaAlgorithm = 'fomaml' | 'reptile' | 'anil' | 'joint';

export interface LossGrad {
  loss: number;
  grad: Float64Array;
  /** Numbers the task wants reported (e.g. the mean return of the episodes it played). */
  info?: Record<string, number>;
}

/**
 * One task as the meta-learner sees it: a support loss (what the inner loop descends) and a
 * query loss (what the adapted parameters are judged on). Either may draw fresh data per call.
 */
export interface MetaTask {
  support(params: Float64Array): LossGrad;
  query(params: Float64Array): LossGrad;
}

export interface InnerLoop {
  steps: number;
  lr: number;
  /** 1 where the inner loop may change a parameter (ANIL's head); null: all of them. */
  mask?: Uint8Array | null;
}

export interface Adaptation {
  params: Float64Array;
  /** Support results before each inner step (steps of them). */
  support: LossGrad[];
}

function checkInner(where: string, inner: InnerLoop, size: number): void {
  if (!Number.isInteger(inner.steps) || inner.steps < 0) {
    throw new ValueError(
      `${where}: inner steps must be a non-negative integer, got ${inner.steps}`,
    );
  }
  if (!(inner.lr >= 0) || !Number.isFinite(inner.lr)) {
    throw new ValueError(`${where}: inner lr must be finite and >= 0, got ${inner.lr}`);
  }
  if (inner.mask && inner.mask.length !== size) {
    throw new ValueError(`${where}: mask has ${inner.mask.length} entries for ${size} parameters`);
  }
}

/** U(θ): `steps` plain gradient steps on the support loss (masked coordinates stay put). */
export function adapt(params: Float64Array, task: MetaTask, inner: InnerLoop): Adaptation {
  checkInner('adapt', inner, params.length);
  const phi = Float64Array.from(params);
  const support: LossGrad[] = [];
  for (let k = 0; k < inner.steps; k++) {
    const r = task.support(phi);
    if (r.grad.length !== phi.length) {
      throw new ValueError(`adapt: gradient has ${r.grad.length} entries for ${phi.length}`);
    }
    support.push(r);
    const m = inner.mask;
    for (let j = 0; j < phi.length; j++) if (!m || m[j]) phi[j] -= inner.lr * r.grad[j];
  }
  return { params: phi, support };
}

export interface MetaGradient {
  /** What the outer optimizer descends: the mean over tasks. */
  grad: Float64Array;
  /** Per task: the support result at θ (before adapting) and the query result after. */
  before: LossGrad[];
  after: LossGrad[];
}

/**
 * The outer-loop direction for a batch of tasks. `inner.mask` is ignored except by ANIL, which
 * needs it (the head).
 */
export function metaGradient(
  algorithm: MetaAlgorithm,
  params: Float64Array,
  tasks: readonly MetaTask[],
  inner: InnerLoop,
): MetaGradient {
  if (tasks.length === 0) throw new ValueError('metaGradient: need at least one task');
  checkInner('metaGradient', inner, params.length);
  if (algorithm === 'anil' && !inner.mask) {
    throw new ValueError('metaGradient: anil needs inner.mask (the head parameters)');
  }
  const grad = new Float64Array(params.length);
  const before: LossGrad[] = [];
  const after: LossGrad[] = [];
  const n = tasks.length;
  for (const task of tasks) {
    if (algorithm === 'joint') {
      const r = task.support(params);
      before.push(r);
      after.push(r);
      for (let j = 0; j < grad.length; j++) grad[j] += r.grad[j] / n;
      continue;
    }
    const a = adapt(params, task, {
      steps: inner.steps,
      lr: inner.lr,
      mask: algorithm === 'anil' ? inner.mask : null,
    });
    if (algorithm === 'reptile') {
      if (a.support.length === 0) {
        throw new ValueError('metaGradient: reptile needs at least one inner step');
      }
      before.push(a.support[0]);
      after.push(a.support[a.support.length - 1]);
      for (let j = 0; j < grad.length; j++) grad[j] += (params[j] - a.params[j]) / n;
      continue;
    }
    const q = task.query(a.params);
    before.push(a.support[0] ?? task.support(params));
    after.push(q);
    for (let j = 0; j < grad.length; j++) grad[j] += q.grad[j] / n;
  }
  return { grad, before, after };
}

export interface OuterOptions {
  optimizer: 'sgd' | 'adam';
  lr: number;
}

/**
 * The meta-parameters and their optimizer (torch's SGD or Adam rules, from optim/), stepping on
 * a meta-gradient. Reptile with SGD and lr ε is exactly θ ← θ + ε·mean(φ − θ).
 */
export class MetaParams {
  private readonly param: Parameter;
  private readonly optimizer: Optimizer;

  constructor(initial: Float64Array, options: OuterOptions) {
    this.param = new Parameter(new Tensor(Float64Array.from(initial), [initial.length]));
    this.optimizer =
      options.optimizer === 'adam'
        ? new Adam([this.param], { lr: options.lr })
        : new SGD([this.param], { lr: options.lr });
  }

  /** The current θ (a live view: copy it to keep a snapshot). */
  get values(): Float64Array {
    return this.param.data as Float64Array;
  }

  step(grad: Float64Array): void {
    if (grad.length !== this.param.size) {
      throw new ValueError(
        `MetaParams.step: gradient has ${grad.length} entries for ${this.param.size}`,
      );
    }
    for (let j = 0; j < grad.length; j++) {
      if (!Number.isFinite(grad[j])) {
        throw new ValueError(
          `MetaParams.step: meta-gradient entry ${j} is ${grad[j]}; θ left unchanged`,
        );
      }
    }
    this.param.grad = new Tensor(Float64Array.from(grad), [grad.length]);
    this.optimizer.step();
    this.param.grad = null;
  }
}
