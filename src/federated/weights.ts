/**
 * The weights ω_k of min_θ Σ_k ω_k L_k(θ), per round over the clients whose results are used:
 *
 * - uniform:    ω_k = 1/n (every client counts the same, whatever its data);
 * - data-size:  ω_k = n_k / Σ_j n_j (FedAvg's rule: the objective is the loss over all examples);
 * - loss:       ω_k ∝ L_k^q, where L_k is the loss of the received global model on client k's
 *               training data before local training (q-FFL's fairness weighting, Li et al. 2020:
 *               clients the global model serves worst pull harder; q = 0 is uniform). If every
 *               L_k is 0 the weights are uniform.
 */
import { z } from 'zod';
import { ValueError } from '../core/index.js';

export const weightingSchema = z.union([
  z.enum(['uniform', 'data-size']),
  z.object({ kind: z.literal('loss'), power: z.number().min(0).max(20).default(1) }).strict(),
]);
export type Weighting = z.infer<typeof weightingSchema>;

export interface Weighable {
  numExamples: number;
  loss: number;
}

/** Normalised weights (summing to 1) for `results` under `rule`. */
export function clientWeights(results: readonly Weighable[], rule: Weighting): number[] {
  const n = results.length;
  if (n === 0) return [];
  let raw: number[];
  if (rule === 'uniform') raw = results.map(() => 1);
  else if (rule === 'data-size') raw = results.map((r) => r.numExamples);
  else raw = results.map((r) => r.loss ** rule.power);
  for (const [i, v] of raw.entries()) {
    if (!Number.isFinite(v) || v < 0) {
      throw new ValueError(
        `clientWeights: result ${i} gives weight ${v} under ${JSON.stringify(rule)}`,
      );
    }
  }
  const total = raw.reduce((a, b) => a + b, 0);
  if (total === 0) return results.map(() => 1 / n);
  return raw.map((v) => v / total);
}
