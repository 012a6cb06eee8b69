/**
 * A2T: Attend, Adapt and Transfer (Rajendran, Srinivas, Khapra, Prasanna & Ravindran, ICLR 2017),
 * the architecture of section 3:
 *
 *   K_T(s) = sum_{i=1}^{N+1} w_i(s) K_i(s),     w(s) = softmax(f_att(s)) over N sources + 1 base
 *
 * K_1..K_N are the frozen source solutions (their weights never change), K_{N+1} = K_B a base
 * network learned from scratch on the target task, and f_att an attention network that reads the
 * state and says, per state, whose solution to follow. Sources that are useless or harmful in
 * some part of the state space get little attention there, and the base takes over where no
 * source helps, so A2T avoids negative transfer and can transfer selectively.
 *
 * Policy transfer (what A2TPolicy does): the K_i are policies, and the mixture of distributions
 *   pi_T(a|s) = sum_i w_i(s) pi_i(a|s),   log pi_T = logsumexp_i (log w_i(s) + log pi_i(a|s))
 * is a distribution. Value transfer (mixOutputs) mixes Q-values linearly in the same way.
 * The attention network and the base are trained through the mixed policy's task loss; the base
 * is trained on the task with its own loss too (see ./trainer.ts).
 */
import {
  ConfigError,
  logSoftmax,
  logsumexp,
  noGrad,
  softmax,
  stack,
  sum,
  Tensor,
  ShapeError,
  type Generator,
} from '../../core/index.js';
import { Linear, ModuleList, Module, zeros_, type MLP } from '../../nn/index.js';
import { buildMLP, Categorical, type PolicyNetwork } from '../../rl/algos/common/index.js';
import type { SourcePolicy } from './source-policy.js';

/**
 * log of the mixture sum_k w_k p_k per row and action: logsumexp over k of
 * logWeights[B, K, (1)] + logProbs[B, K, A]  ->  [B, A].
 */
export function mixLogProbs(logWeights: Tensor, logProbs: Tensor): Tensor {
  if (
    logWeights.rank !== 2 ||
    logProbs.rank !== 3 ||
    logWeights.shape[0] !== logProbs.shape[0] ||
    logWeights.shape[1] !== logProbs.shape[1]
  ) {
    throw new ShapeError(
      `mixLogProbs: 'logWeights' [${logWeights.shape.join(', ')}] must be [B, K] and 'logProbs' [${logProbs.shape.join(', ')}] [B, K, A]`,
    );
  }
  return logsumexp(logWeights.unsqueeze(2).add(logProbs), 1);
}

/** sum_k w_k K_k per row: weights [B, K], outputs [B, K, A] -> [B, A] (value transfer). */
export function mixOutputs(weights: Tensor, outputs: Tensor): Tensor {
  if (
    weights.rank !== 2 ||
    outputs.rank !== 3 ||
    weights.shape[0] !== outputs.shape[0] ||
    weights.shape[1] !== outputs.shape[1]
  ) {
    throw new ShapeError(
      `mixOutputs: 'weights' [${weights.shape.join(', ')}] must be [B, K] and 'outputs' [${outputs.shape.join(', ')}] [B, K, A]`,
    );
  }
  return sum(weights.unsqueeze(2).mul(outputs), 1);
}

/**
 * The attention network f_att: observations -> one logit per component. Its last layer starts at
 * zero, so every component starts at weight 1 / (N + 1).
 */
export function buildAttention(
  obsDim: number,
  components: number,
  o: { attentionHidden?: readonly number[]; activation?: 'relu' | 'tanh'; rng: Generator },
): MLP {
  const attention = buildMLP(obsDim, components, {
    hidden: o.attentionHidden ?? [64],
    activation: o.activation ?? 'tanh',
    rng: o.rng,
  });
  const layers = attention.modules().filter((m): m is Linear => m instanceof Linear);
  zeros_(layers[layers.length - 1].weight);
  const bias = layers[layers.length - 1].bias;
  if (bias) zeros_(bias);
  return attention;
}

/** Mean of each column of a row-major [B, K] array. */
export function columnMeans(data: ArrayLike<number>, B: number, K: number): number[] {
  const out = new Array<number>(K).fill(0);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) out[k] += data[b * K + k];
  return out.map((v) => v / Math.max(1, B));
}

/** What both A2T mixtures share: the attention network over N frozen sources and a base. */
export interface A2TMixtureOptions<B extends MLP> {
  /** Observation features of the target. */
  obsDim: number;
  actions: number;
  /** The base network (over the target's actions), trained from scratch. */
  base: B;
  sources: SourcePolicy[];
  /** Hidden sizes of the attention network (default [64]). */
  attentionHidden?: readonly number[];
  activation?: 'relu' | 'tanh';
  rng: Generator;
}

/**
 * The parts of A2T that do not depend on what is mixed (policies or Q-values): the attention
 * network w(s), the base and the sources, registered in this order (checkpoint key order).
 */
export abstract class A2TMixture<B extends MLP> extends Module {
  attention: MLP;
  base: B;
  /** Registered for their learned maps; each source's own network is frozen and private. */
  sources: ModuleList<SourcePolicy>;
  readonly actions: number;

  constructor(who: string, o: A2TMixtureOptions<B>) {
    super();
    if (o.sources.length === 0) throw new ConfigError(`${who}: need at least one source`);
    this.actions = o.actions;
    this.attention = buildAttention(o.obsDim, o.sources.length + 1, o);
    this.base = o.base;
    this.sources = new ModuleList(o.sources);
  }

  /** Names of the mixture's components in order: the sources, then 'base'. */
  get components(): string[] {
    return [...[...this.sources].map((s) => s.name), 'base'];
  }

  /** w(s): [B, N + 1], rows summing to 1. */
  weights(obs: Tensor): Tensor {
    return softmax(this.attention.forward(obs), -1);
  }

  /** Mean attention weight per component over the rows of `obs`. */
  meanWeights(obs: Tensor): number[] {
    return noGrad(() => columnMeans(this.weights(obs).data, obs.shape[0], this.sources.length + 1));
  }
}

export type A2TPolicyOptions = A2TMixtureOptions<PolicyNetwork & MLP>;

/** pi_T(.|s): the attention-weighted mixture of N frozen source policies and a base policy. */
export class A2TPolicy extends A2TMixture<PolicyNetwork & MLP> implements PolicyNetwork {
  readonly kind = 'discrete' as const;
  #lastBase: { obs: Tensor; logits: Tensor } | null = null;
  #sourceCache: { data: Float32Array; rows: number }[] | null = null;

  constructor(o: A2TPolicyOptions) {
    super('A2TPolicy', o);
    for (const s of o.sources) {
      if (s.outputKind === 'mean') {
        throw new ConfigError(
          `A2TPolicy: source '${s.name}' is a Gaussian policy; policy mixing needs categorical sources`,
        );
      }
    }
  }

  /** log w(s): [B, N + 1]. */
  logWeights(obs: Tensor): Tensor {
    return logSoftmax(this.attention.forward(obs), -1);
  }

  /** log pi_k(.|s) of every component: [B, N + 1, A]. */
  componentLogProbs(obs: Tensor): Tensor {
    return this.stackComponents(
      [...this.sources].map((s) => s.logPolicy(obs)),
      obs,
    );
  }

  private stackComponents(sourceParts: Tensor[], obs: Tensor): Tensor {
    const baseLogits = this.base.forward(obs);
    this.#lastBase = { obs, logits: baseLogits };
    const parts = [...sourceParts, logSoftmax(baseLogits, -1)];
    for (const p of parts) {
      if (p.shape[1] !== this.actions) {
        throw new ShapeError(
          `A2TPolicy: a component gives ${p.shape[1]} actions, the target has ${this.actions}`,
        );
      }
    }
    return stack(parts, 1);
  }

  /** log pi_T(.|s) [B, A]. */
  logProbs(obs: Tensor): Tensor {
    return mixLogProbs(this.logWeights(obs), this.componentLogProbs(obs));
  }

  forward(obs: Tensor): Tensor {
    return this.logProbs(obs);
  }

  /** The mixture as a Categorical (normalised log-probabilities are valid logits). */
  distribution(obs: Tensor): Categorical {
    return new Categorical(this.logProbs(obs));
  }

  /**
   * The base's logits from the last forward pass on exactly this `obs` tensor (null otherwise),
   * so the base's own loss reuses them instead of a second forward pass.
   */
  lastBaseLogits(obs: Tensor): Tensor | null {
    return this.#lastBase && this.#lastBase.obs === obs ? this.#lastBase.logits : null;
  }

  /**
   * Precompute the sources' log-policies on a batch of observations (a rollout), so that
   * minibatches of it (distributionRows) skip the frozen networks. Only when no map is learned:
   * then the sources' outputs are constants of the observation. Returns whether it cached.
   */
  cacheSources(obs: Tensor): boolean {
    const sources = [...this.sources];
    if (sources.some((s) => s.stateMap.learned || s.actionMap.learned)) {
      this.#sourceCache = null;
      return false;
    }
    this.#sourceCache = noGrad(() =>
      sources.map((s) => ({ data: Float32Array.from(s.logPolicy(obs).data), rows: obs.shape[0] })),
    );
    return true;
  }

  /**
   * The mixture for rows `indices` of the batch given to cacheSources (`obs` holds those rows);
   * without a cache, the same as distribution(obs).
   */
  distributionRows(obs: Tensor, indices: Int32Array): Categorical {
    const cache = this.#sourceCache;
    if (!cache) return this.distribution(obs);
    const A = this.actions;
    const n = indices.length;
    const parts = cache.map((c) => {
      const out = new Float32Array(n * A);
      for (let r = 0; r < n; r++) {
        const i = indices[r];
        if (i >= c.rows)
          throw new ShapeError(`A2TPolicy: row ${i} is not in the cached batch of ${c.rows}`);
        out.set(c.data.subarray(i * A, i * A + A), r * A);
      }
      return new Tensor(out, [n, A]);
    });
    return new Categorical(mixLogProbs(this.logWeights(obs), this.stackComponents(parts, obs)));
  }
}
