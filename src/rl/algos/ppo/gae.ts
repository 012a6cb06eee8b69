import { ValueError } from '../../../core/index.js';

/**
 * Generalised advantage estimation (Schulman et al. 2016) over a rollout of `numSteps` steps of
 * `numEnvs` parallel streams, laid out step-major (row t * numEnvs + i).
 *
 * Per row, with `next` the value of the next row of the same stream (or `lastValues` after the
 * last step):
 *   terminated:  delta = r - V(s)                          A = delta
 *   truncated:   delta = r + gamma * bootstrap - V(s)      A = delta
 *   otherwise:   delta = r + gamma * next - V(s)           A = delta + gamma * lambda * A_next
 * A truncated episode is cut short by a time limit, not ended by the MDP, so its last step is
 * bootstrapped from the value of the final observation (`bootstrapValues`), and the advantage
 * never carries across an episode boundary.
 *
 * Rows with `valid` 0 are not transitions: the step of a next-step autoreset (whose action the
 * env ignores) or a dead agent's slot. They get advantage 0 and are left out of the loss. A valid
 * row that continues its episode must be followed by a valid row of the same episode; this holds
 * for Gymnasium vector envs and for PettingZoo agents, which only leave after a final step.
 */
export interface GaeInput {
  numSteps: number;
  numEnvs: number;
  rewards: ArrayLike<number>;
  /** V(s_t) per row. */
  values: ArrayLike<number>;
  /** V of the observation after the last step, per stream (used when that step continues). */
  lastValues: ArrayLike<number>;
  terminated: ArrayLike<number | boolean>;
  truncated: ArrayLike<number | boolean>;
  /** V(final observation) per row, read where the row is truncated (and not terminated). */
  bootstrapValues?: ArrayLike<number>;
  /** 1 for real transitions, 0 for rows to skip; all valid when absent. */
  valid?: ArrayLike<number | boolean>;
  gamma: number;
  gaeLambda: number;
}

export interface GaeOutput {
  advantages: Float64Array;
  /** advantages + values: the value targets (CleanRL's `returns`). */
  returns: Float64Array;
}

export function computeGae(input: GaeInput): GaeOutput {
  const { numSteps: T, numEnvs: N, gamma, gaeLambda: lambda } = input;
  const size = T * N;
  const check = (name: string, a: ArrayLike<unknown> | undefined, n: number): void => {
    if (a !== undefined && a.length !== n) {
      throw new ValueError(`computeGae: ${name} has ${a.length} entries, expected ${n}`);
    }
  };
  if (!Number.isInteger(T) || !Number.isInteger(N) || T < 0 || N < 1) {
    throw new ValueError(`computeGae: bad numSteps ${T} / numEnvs ${N}`);
  }
  check('rewards', input.rewards, size);
  check('values', input.values, size);
  check('terminated', input.terminated, size);
  check('truncated', input.truncated, size);
  check('bootstrapValues', input.bootstrapValues, size);
  check('valid', input.valid, size);
  check('lastValues', input.lastValues, N);
  if (!(gamma >= 0 && gamma <= 1) || !(lambda >= 0 && lambda <= 1)) {
    throw new ValueError(`computeGae: gamma ${gamma} and gaeLambda ${lambda} must lie in [0, 1]`);
  }
  const { rewards, values, terminated, truncated, bootstrapValues, valid } = input;
  const advantages = new Float64Array(size);
  const returns = new Float64Array(size);
  const carry = new Float64Array(N); // A of the next row of each stream
  for (let t = T - 1; t >= 0; t--) {
    for (let i = 0; i < N; i++) {
      const k = t * N + i;
      if (valid && !valid[k]) {
        carry[i] = 0;
        returns[k] = values[k];
        continue;
      }
      let a: number;
      if (terminated[k]) a = rewards[k] - values[k];
      else if (truncated[k]) {
        if (!bootstrapValues) {
          throw new ValueError(`computeGae: row ${k} is truncated but no bootstrapValues given`);
        }
        a = rewards[k] + gamma * bootstrapValues[k] - values[k];
      } else {
        const next = t === T - 1 ? input.lastValues[i] : values[k + N];
        a = rewards[k] + gamma * next - values[k] + gamma * lambda * carry[i];
      }
      carry[i] = a;
      advantages[k] = a;
      returns[k] = a + values[k];
    }
  }
  return { advantages, returns };
}

/** 1 - Var(returns - values) / Var(returns) over the valid rows (CleanRL's explained_variance). */
export function explainedVariance(values: ArrayLike<number>, returns: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let my = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    my += returns[i];
    md += returns[i] - values[i];
  }
  my /= n;
  md /= n;
  let vy = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vy += (returns[i] - my) ** 2;
    const d = returns[i] - values[i] - md;
    vd += d * d;
  }
  return vy === 0 ? NaN : 1 - vd / vy;
}
