import { memoryScope, reshape, Tensor, type Generator } from '../../../core/index.js';
import { assertFiniteLoss, clipGradNorm, type Adam } from '../../../optim/index.js';
import type { PpoUpdateConfig } from './config.js';
import { explainedVariance } from './gae.js';
import type { UpdateHooks } from './hooks.js';
import { clippedPolicyLoss, normalizeAdvantages, ppoLoss, valueLoss } from './losses.js';
import type { ActorCritic } from './networks.js';

/**
 * One PPO update (CleanRL's "Optimizing the policy and value network" block): `updateEpochs`
 * passes over the batch in shuffled minibatches, each a gradient step on the clipped surrogate
 * minus the entropy bonus plus the (clipped) value loss, with the global gradient norm clipped.
 * The actor and the critic may read different inputs (MAPPO's critic sees the global state).
 */

/** The valid transitions of a rollout, flattened; row i of every array is one transition. */
export interface PpoBatch {
  size: number;
  actorDim: number;
  /** [size, actorDim] row-major. */
  actorObs: Float32Array;
  criticDim: number;
  /** [size, criticDim]; the same array as actorObs when the critic sees what the actor sees. */
  criticObs: Float32Array;
  /** Discrete actions [size] or continuous ones [size, actionDim]. */
  actions: Int32Array | Float32Array;
  actionDim: number;
  logProbs: Float32Array;
  values: Float32Array;
  advantages: Float64Array;
  returns: Float64Array;
}

export interface PpoUpdateStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  oldApproxKl: number;
  clipFraction: number;
  explainedVariance: number;
  /** Minibatch gradient steps taken (fewer than epochs * minibatches after a KL stop). */
  gradientSteps: number;
  /** Epochs run before the target-KL stop (updateEpochs without one). */
  epochs: number;
  /** The extra loss's statistics (hooks.extraLoss), averaged over the minibatches. */
  extra: Record<string, number>;
}

function rows(src: Float32Array, dim: number, idx: Int32Array): Tensor {
  const out = new Float32Array(idx.length * dim);
  for (let r = 0; r < idx.length; r++)
    out.set(src.subarray(idx[r] * dim, idx[r] * dim + dim), r * dim);
  return new Tensor(out, [idx.length, dim]);
}

function pick(src: ArrayLike<number>, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length);
  for (let r = 0; r < idx.length; r++) out[r] = src[idx[r]];
  return out;
}

/**
 * Run the update in place on `nets` through `optimizer`; `step` numbers the update in error
 * messages. A non-finite loss throws (NonFiniteError) before any weight of that minibatch moves.
 * `hooks` (see ./hooks.ts) add a loss term or replace how the actor's distribution is computed.
 */
export function ppoUpdate(
  nets: ActorCritic,
  optimizer: Adam,
  batch: PpoBatch,
  cfg: PpoUpdateConfig,
  rng: Generator,
  step = 0,
  hooks: UpdateHooks = {},
): PpoUpdateStats {
  const params = [...nets.actor.parameters(), ...nets.critic.parameters()];
  const B = batch.size;
  const mbSize = Math.max(1, Math.ceil(B / cfg.numMinibatches));
  const vClip = cfg.clipVloss ? (cfg.vfClipCoef ?? cfg.clipCoef) : null;
  const taskCoef = hooks.taskLossCoef ?? 1;
  const sums = { pg: 0, v: 0, ent: 0, kl: 0, oldKl: 0, clip: 0 };
  const extraSums: Record<string, number> = {};
  let steps = 0;
  let epochs = 0;
  let lastKl = 0;
  for (let epoch = 0; epoch < cfg.updateEpochs && B > 0; epoch++) {
    epochs++;
    const perm = rng.permutation(B);
    for (let start = 0; start < B; start += mbSize) {
      const idx = perm.subarray(start, Math.min(B, start + mbSize));
      // The minibatch's activations and gradient buffers go back to the memory pool after its
      // step, so the next minibatch reuses them (core/memory/scope.ts).
      memoryScope(() => {
        const n = idx.length;
        const obs = rows(batch.actorObs, batch.actorDim, idx);
        const critObs =
          batch.criticObs === batch.actorObs ? obs : rows(batch.criticObs, batch.criticDim, idx);
        let actions: Tensor;
        if (batch.actions instanceof Int32Array) {
          const a = new Int32Array(n);
          for (let r = 0; r < n; r++) a[r] = batch.actions[idx[r]];
          actions = new Tensor(a, [n]);
        } else actions = rows(batch.actions, batch.actionDim, idx);
        const advRaw = new Float64Array(n);
        for (let r = 0; r < n; r++) advRaw[r] = batch.advantages[idx[r]];
        const adv = new Tensor(
          cfg.normAdv ? normalizeAdvantages(advRaw) : Float32Array.from(advRaw),
          [n],
        );

        const dist = hooks.distributionRows
          ? hooks.distributionRows(obs, idx)
          : nets.actor.distribution(obs);
        const newLogProb = dist.logProb(actions);
        const entropy = dist.entropy();
        const newValue = reshape(nets.critic.forward(critObs), [n]);
        const pl = clippedPolicyLoss(
          newLogProb,
          new Tensor(pick(batch.logProbs, idx), [n]),
          adv,
          cfg.clipCoef,
        );
        const vl = valueLoss(
          newValue,
          new Tensor(pick(batch.values, idx), [n]),
          new Tensor(pick(batch.returns, idx), [n]),
          vClip,
        );
        const terms = ppoLoss(pl, vl, entropy, cfg.entCoef, cfg.vfCoef);
        let total = taskCoef === 1 ? terms.total : terms.total.mul(taskCoef);
        const extra =
          hooks.extraLoss?.({ actor: nets.actor, obs, actions, advantages: adv, indices: idx }) ??
          null;
        if (extra) {
          total = total.add(extra.loss);
          for (const [k, v] of Object.entries(extra.stats ?? {}))
            extraSums[k] = (extraSums[k] ?? 0) + v;
        }
        assertFiniteLoss(total, step);
        for (const p of params) p.grad = null;
        total.backward();
        clipGradNorm(params, cfg.maxGradNorm);
        optimizer.step();
        steps++;
        sums.pg += pl.loss.item();
        sums.v += vl.item();
        sums.ent += terms.entropy.item();
        sums.kl += pl.approxKl;
        sums.oldKl += pl.oldApproxKl;
        sums.clip += pl.clipFraction;
        lastKl = pl.approxKl;
      });
    }
    if (cfg.targetKl !== null && lastKl > cfg.targetKl) break;
  }
  const k = Math.max(1, steps);
  return {
    policyLoss: sums.pg / k,
    valueLoss: sums.v / k,
    entropy: sums.ent / k,
    approxKl: sums.kl / k,
    oldApproxKl: sums.oldKl / k,
    clipFraction: sums.clip / k,
    explainedVariance: explainedVariance(batch.values, batch.returns),
    gradientSteps: steps,
    epochs,
    extra: Object.fromEntries(Object.entries(extraSums).map(([name, v]) => [name, v / k])),
  };
}
