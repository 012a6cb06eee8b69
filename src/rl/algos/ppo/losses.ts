import {
  add,
  clamp,
  exp,
  maximum,
  mean,
  mul,
  neg,
  noGrad,
  ShapeError,
  sub,
  Tensor,
  ValueError,
} from '../../../core/index.js';

/**
 * The PPO losses (Schulman et al. 2017) as pure functions of tensors, term for term as CleanRL's
 * ppo.py writes them, so they can be checked on hand cases and reused by every PPO variant.
 */

function check1d(op: string, named: Record<string, Tensor>): number {
  let n = -1;
  for (const [name, t] of Object.entries(named)) {
    if (t.rank !== 1) {
      throw new ShapeError(`${op}: '${name}' must be 1-D [batch], got [${t.shape.join(', ')}]`);
    }
    if (n >= 0 && t.shape[0] !== n) {
      throw new ShapeError(`${op}: '${name}' has ${t.shape[0]} rows, expected ${n}`);
    }
    n = t.shape[0];
  }
  return n;
}

export interface PolicyLossResult {
  /** mean(max(-A * ratio, -A * clip(ratio, 1 - c, 1 + c))): minimise it. */
  loss: Tensor;
  /** mean((ratio - 1) - log ratio), the low-variance KL estimate (http://joschu.net/blog/kl-approx.html). */
  approxKl: number;
  /** mean(-log ratio). */
  oldApproxKl: number;
  /** Fraction of rows whose ratio left [1 - c, 1 + c]. */
  clipFraction: number;
}

/**
 * The clipped surrogate objective. `advantages` are used as given: normalise them before (see
 * normalizeAdvantages) if wanted. Gradients flow to `newLogProb` only.
 */
export function clippedPolicyLoss(
  newLogProb: Tensor,
  oldLogProb: Tensor,
  advantages: Tensor,
  clipCoef: number,
): PolicyLossResult {
  if (!(clipCoef >= 0))
    throw new ValueError(`clippedPolicyLoss: clipCoef must be >= 0, got ${clipCoef}`);
  check1d('clippedPolicyLoss', { newLogProb, oldLogProb, advantages });
  const logRatio = sub(newLogProb, oldLogProb);
  const ratio = exp(logRatio);
  const negAdv = neg(advantages);
  const pg1 = mul(negAdv, ratio);
  const pg2 = mul(negAdv, clamp(ratio, 1 - clipCoef, 1 + clipCoef));
  const loss = mean(maximum(pg1, pg2));
  const stats = noGrad(() => {
    const lr = logRatio.data;
    const r = ratio.data;
    let kl = 0;
    let oldKl = 0;
    let clipped = 0;
    for (let i = 0; i < r.length; i++) {
      kl += r[i] - 1 - lr[i];
      oldKl -= lr[i];
      if (Math.abs(r[i] - 1) > clipCoef) clipped++;
    }
    const n = Math.max(1, r.length);
    return { approxKl: kl / n, oldApproxKl: oldKl / n, clipFraction: clipped / n };
  });
  return { loss, ...stats };
}

/**
 * The value loss 0.5 * mean((V - R)^2), or with `clipCoef` (PPO2's value clipping) 0.5 * mean(
 * max((V - R)^2, (V_old + clip(V - V_old, -c, c) - R)^2)): the new value may not profit from
 * moving more than c away from the value it had when the data were collected.
 */
export function valueLoss(
  newValue: Tensor,
  oldValue: Tensor,
  returns: Tensor,
  clipCoef: number | null,
): Tensor {
  check1d('valueLoss', { newValue, oldValue, returns });
  const err = sub(newValue, returns);
  const unclipped = mul(err, err);
  if (clipCoef === null) return mul(mean(unclipped), 0.5);
  if (!(clipCoef >= 0)) throw new ValueError(`valueLoss: clipCoef must be >= 0, got ${clipCoef}`);
  const clippedValue = add(oldValue, clamp(sub(newValue, oldValue), -clipCoef, clipCoef));
  const err2 = sub(clippedValue, returns);
  return mul(mean(maximum(unclipped, mul(err2, err2))), 0.5);
}

/** (A - mean) / (std + 1e-8) with torch's unbiased std, as CleanRL normalises per minibatch. */
export function normalizeAdvantages(adv: Float32Array | Float64Array): Float32Array {
  const n = adv.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  let m = 0;
  for (let i = 0; i < n; i++) m += adv[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (adv[i] - m) ** 2;
  // One row has no spread: torch gives NaN there; centring alone keeps training finite.
  const std = n > 1 ? Math.sqrt(v / (n - 1)) : 0;
  for (let i = 0; i < n; i++) out[i] = (adv[i] - m) / (std + 1e-8);
  return out;
}

export interface PpoLossTerms {
  policy: PolicyLossResult;
  value: Tensor;
  /** Mean entropy of the minibatch's action distributions. */
  entropy: Tensor;
  /** policy - entCoef * entropy + vfCoef * value: the loss to differentiate. */
  total: Tensor;
}

/** The combined PPO loss: pg_loss - ent_coef * entropy + vf_coef * v_loss. */
export function ppoLoss(
  policy: PolicyLossResult,
  value: Tensor,
  entropyPerRow: Tensor,
  entCoef: number,
  vfCoef: number,
): PpoLossTerms {
  const entropy = mean(entropyPerRow);
  const total = policy.loss.sub(mul(entropy, entCoef)).add(mul(value, vfCoef));
  return { policy, value, entropy, total };
}
