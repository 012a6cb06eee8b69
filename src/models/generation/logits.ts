import { ValueError, type Generator } from '../../core/index.js';

/**
 * Hugging Face's logits processors and warpers, on one row of next-token scores (a vocab-sized
 * array, changed in place). Filtered entries become -Infinity; at least one token always stays.
 */

export type Scores = Float32Array | Float64Array;

/**
 * CTRL's repetition penalty (Keskar et al. 2019), as HF's RepetitionPenaltyLogitsProcessor: every
 * token already in the sequence has its score divided by `penalty` when positive and multiplied
 * when negative (each token once, however often it occurred). penalty > 1 discourages repeats.
 */
export function applyRepetitionPenalty(
  scores: Scores,
  previous: ArrayLike<number>,
  penalty: number,
): void {
  if (!(penalty > 0)) {
    throw new ValueError(`repetitionPenalty must be a positive number, got ${penalty}`);
  }
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (let i = 0; i < previous.length; i++) {
    const t = previous[i];
    if (seen.has(t) || t < 0 || t >= scores.length) continue;
    seen.add(t);
    const s = scores[t];
    scores[t] = s < 0 ? s * penalty : s / penalty;
  }
}

/** Divide by temperature (> 0): below 1 sharpens, above 1 flattens. */
export function applyTemperature(scores: Scores, temperature: number): void {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new ValueError(
      `temperature must be a positive finite number, got ${temperature} (use doSample: false for greedy)`,
    );
  }
  if (temperature === 1) return;
  for (let i = 0; i < scores.length; i++) scores[i] /= temperature;
}

/**
 * Keep the k highest scores (HF's TopKLogitsWarper): everything strictly below the k-th largest
 * is removed, so ties with the k-th value stay. k = 0 or k >= vocab does nothing.
 */
export function topKFilter(scores: Scores, k: number, minTokensToKeep = 1): void {
  if (!(Number.isInteger(k) && k >= 0)) {
    throw new ValueError(`topK must be a non-negative integer, got ${k}`);
  }
  const keep = Math.max(k, minTokensToKeep);
  if (k === 0 || keep >= scores.length) return;
  const sorted = Array.from(scores).sort((a, b) => b - a);
  const kth = sorted[keep - 1];
  for (let i = 0; i < scores.length; i++) if (scores[i] < kth) scores[i] = -Infinity;
}

/**
 * Nucleus filtering (Holtzman et al. 2020) as HF's TopPLogitsWarper: sort ascending, remove
 * tokens whose cumulative probability is <= 1 - p, keep the top minTokensToKeep regardless. What
 * remains is the smallest set of most likely tokens with probability mass >= p.
 */
export function topPFilter(scores: Scores, p: number, minTokensToKeep = 1): void {
  if (!(p > 0 && p <= 1)) throw new ValueError(`topP must be in (0, 1], got ${p}`);
  if (p === 1) return;
  const probs = softmaxRow(scores);
  const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b] || a - b);
  let cumulative = 0;
  const n = order.length;
  for (let r = 0; r < n; r++) {
    cumulative += probs[order[r]];
    if (r >= n - minTokensToKeep) break;
    if (cumulative <= 1 - p) scores[order[r]] = -Infinity;
  }
}

/** Softmax of one row in float64 (-Infinity -> 0). */
export function softmaxRow(scores: Scores): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  const out = new Float64Array(scores.length);
  if (max === -Infinity) {
    throw new ValueError('sampling: every token was filtered out (all scores are -Infinity)');
  }
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const e = Math.exp(scores[i] - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Draw an index from probabilities summing to 1 (torch.multinomial with one sample). */
export function sampleIndex(probs: Float64Array, rng: Generator): number {
  const u = rng.uniform();
  let cumulative = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] <= 0) continue;
    cumulative += probs[i];
    last = i;
    if (u < cumulative) return i;
  }
  return last; // rounding left u just above the total
}

/** Index of the largest score (the first one on ties, as torch.argmax). */
export function argmaxRow(scores: Scores): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

export interface SamplingOptions {
  doSample?: boolean;
  /** Default 1. */
  temperature?: number;
  /** Default 50, as Hugging Face; 0 disables. Only applied when sampling. */
  topK?: number;
  /** Default 1 (disabled). */
  topP?: number;
  /** Default 1 (disabled); applied in greedy decoding too. */
  repetitionPenalty?: number;
}

/**
 * Pick the next token from one row of scores in Hugging Face's order: repetition penalty, then
 * (when sampling) temperature, top-k, top-p, softmax and a draw from rng; greedy otherwise.
 */
export function nextToken(
  scores: Scores,
  previous: ArrayLike<number>,
  options: SamplingOptions,
  rng: Generator | undefined,
): number {
  applyRepetitionPenalty(scores, previous, options.repetitionPenalty ?? 1);
  if (!options.doSample) return argmaxRow(scores);
  if (!rng) throw new ValueError('doSample: true needs rng (a seeded Generator)');
  applyTemperature(scores, options.temperature ?? 1);
  topKFilter(scores, options.topK ?? 50);
  topPFilter(scores, options.topP ?? 1);
  return sampleIndex(softmaxRow(scores), rng);
}
