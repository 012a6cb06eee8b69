/**
 * The inner loss: REINFORCE with the linear feature baseline (baseline.ts) and normalised
 * advantages, L(θ) = −mean_t log π_θ(a_t|s_t)·Â_t − c_ent·mean_t H(π_θ(·|s_t)), as in MAML's RL
 * experiments (vanilla policy gradient in the inner loop). Chosen over PPO's clipped surrogate
 * because one plain gradient step from the current parameters is what MAML/Reptile/ANIL
 * differentiate and average; PPO's several epochs over a batch would make "one inner step"
 * mean something else. Each call plays fresh episodes, so support and query batches are
 * independent.
 */
import { memoryScope, Tensor, type Generator } from '../../core/index.js';
import type { PolicyNetwork } from '../../rl/algos/common/index.js';
import { baselineFeatures, fitPredict } from './baseline.js';
import type { LossGrad, MetaTask } from './meta.js';
import { readGrads, writeParams } from './params.js';
import type { Batch, TaskEnvs } from './rollout.js';

export interface PgOptions {
  gamma: number;
  entCoef: number;
}

/** The loss and its gradient for `batch`, at the parameters currently in `policy`. */
export function policyGradient(policy: PolicyNetwork, batch: Batch, options: PgOptions): LossGrad {
  const T = batch.actions.length;
  const D = batch.dim;
  const { x, f } = baselineFeatures(batch.obs, D, batch.time);
  const base = fitPredict(x, f, batch.returns);
  const adv = new Float32Array(T);
  let mean = 0;
  for (let t = 0; t < T; t++) mean += adv[t] = batch.returns[t] - base[t];
  mean /= Math.max(1, T);
  let v = 0;
  for (let t = 0; t < T; t++) v += (adv[t] - mean) ** 2;
  const std = T > 1 ? Math.sqrt(v / (T - 1)) : 1;
  for (let t = 0; t < T; t++) adv[t] = (adv[t] - mean) / (std + 1e-8);

  // The pass's activations and gradient buffers go back to the memory pool when it ends.
  const { loss, grad, entropy } = memoryScope(() => {
    const dist = policy.distribution(new Tensor(batch.obs, [T, D]));
    const logp = dist.logProb(new Tensor(batch.actions, [T]));
    let loss = logp
      .mul(new Tensor(adv, [T]))
      .mean()
      .neg();
    const entropy = dist.entropy().mean();
    if (options.entCoef > 0) loss = loss.sub(entropy.mul(options.entCoef));
    policy.zeroGrad();
    loss.backward();
    const grad = readGrads(policy);
    return { loss: loss.item(), grad, entropy: entropy.item() };
  });
  policy.zeroGrad();
  let ret = 0;
  for (const e of batch.episodes) ret += e.return;
  return {
    loss,
    grad,
    info: {
      meanReturn: ret / Math.max(1, batch.episodes.length),
      entropy,
      envSteps: batch.envSteps,
    },
  };
}

/** Counts env steps across every task of a run (the budget). */
export interface StepCounter {
  envSteps: number;
}

/** A task of an RL family as the meta-learner sees it: each call plays E fresh episodes. */
export class RlTask implements MetaTask {
  /** The last batch played (its episodes feed the adaptation curve). */
  lastBatch: Batch | null = null;

  constructor(
    private readonly policy: PolicyNetwork,
    readonly envs: TaskEnvs,
    private readonly rng: Generator,
    private readonly options: PgOptions,
    private readonly counter: StepCounter,
  ) {}

  support(params: Float64Array): LossGrad {
    writeParams(this.policy, params);
    const batch = this.envs.collect(this.policy, this.rng, this.options.gamma);
    this.counter.envSteps += batch.envSteps;
    this.lastBatch = batch;
    return policyGradient(this.policy, batch, this.options);
  }

  query(params: Float64Array): LossGrad {
    return this.support(params);
  }

  close(): void {
    this.envs.close();
  }
}
