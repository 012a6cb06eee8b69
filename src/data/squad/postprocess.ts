/**
 * From start/end logits per feature back to answer strings, as Hugging Face's
 * `postprocess_qa_predictions` (utils_qa.py) does: for every example, the n best start and n best
 * end tokens of each of its features give candidate spans (inside the context, not reversed, at
 * most maxAnswerLength tokens), scored start + end logit. With SQuAD v2.0 the null answer
 * (score of [CLS] start + end, lowest over the features) wins when it beats the best span's score
 * by more than `nullScoreDiffThreshold`.
 */
import { DatasetError } from '../errors.js';
import type { SquadExample } from './load.js';
import type { QaFeature } from './preprocess.js';

export interface QaPostprocessOptions {
  nBest?: number;
  maxAnswerLength?: number;
  /** SQuAD v2.0: allow the empty answer. */
  versionTwo?: boolean;
  nullScoreDiffThreshold?: number;
}

export interface Candidate {
  text: string;
  startLogit: number;
  endLogit: number;
  probability: number;
}

export interface QaPredictions {
  predictions: Record<string, string>;
  nbest: Record<string, Candidate[]>;
  /** v2.0 only: null score minus the best span's score, per example. */
  scoresDiff: Record<string, number>;
}

/** Indices of the n largest values, largest first (ties: lower index first). */
function topIndices(xs: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: xs.length }, (_, i) => i)
    .sort((a, b) => xs[b]! - xs[a]! || a - b)
    .slice(0, n);
}

interface Scored {
  offsets: [number, number];
  score: number;
  startLogit: number;
  endLogit: number;
}

export function postprocessQaPredictions(
  examples: SquadExample[],
  features: QaFeature[],
  startLogits: ArrayLike<number>[],
  endLogits: ArrayLike<number>[],
  o: QaPostprocessOptions = {},
): QaPredictions {
  if (startLogits.length !== features.length || endLogits.length !== features.length) {
    throw new DatasetError(
      `postprocessQaPredictions: ${features.length} features but ${startLogits.length} start / ${endLogits.length} end logit rows`,
    );
  }
  const nBest = o.nBest ?? 20;
  const maxLen = o.maxAnswerLength ?? 30;
  const v2 = o.versionTwo === true;
  const byExample = new Map<number, number[]>();
  features.forEach((f, i) =>
    byExample.set(f.exampleIndex, [...(byExample.get(f.exampleIndex) ?? []), i]),
  );
  const out: QaPredictions = { predictions: {}, nbest: {}, scoresDiff: {} };
  examples.forEach((ex, e) => {
    let nullPred: Scored | null = null;
    const prelim: Scored[] = [];
    for (const fi of byExample.get(e) ?? []) {
      const s = startLogits[fi]!;
      const en = endLogits[fi]!;
      const offsets = features[fi]!.offsetMapping;
      const cls = features[fi]!.clsIndex;
      const nullScore = s[cls]! + en[cls]!;
      if (nullPred === null || nullPred.score > nullScore) {
        nullPred = { offsets: [0, 0], score: nullScore, startLogit: s[cls]!, endLogit: en[cls]! };
      }
      for (const a of topIndices(s, nBest)) {
        for (const b of topIndices(en, nBest)) {
          if (a >= offsets.length || b >= offsets.length || !offsets[a] || !offsets[b]) continue;
          if (b < a || b - a + 1 > maxLen) continue;
          prelim.push({
            offsets: [offsets[a]![0], offsets[b]![1]],
            score: s[a]! + en[b]!,
            startLogit: s[a]!,
            endLogit: en[b]!,
          });
        }
      }
    }
    if (v2 && nullPred) prelim.push(nullPred);
    const preds = prelim.sort((x, y) => y.score - x.score).slice(0, nBest);
    if (v2 && nullPred && !preds.some((p) => p.offsets[0] === 0 && p.offsets[1] === 0))
      preds.push(nullPred);
    let cands = preds.map((p) => ({ ...p, text: ex.context.slice(p.offsets[0], p.offsets[1]) }));
    if (cands.length === 0 || (cands.length === 1 && cands[0]!.text === '')) {
      cands = [{ offsets: [0, 0], text: 'empty', startLogit: 0, endLogit: 0, score: 0 }, ...cands];
    }
    const maxScore = Math.max(...cands.map((c) => c.score));
    const exps = cands.map((c) => Math.exp(c.score - maxScore));
    const sum = exps.reduce((a, b) => a + b, 0);
    out.nbest[ex.id] = cands.map((c, i) => ({
      text: c.text,
      startLogit: c.startLogit,
      endLogit: c.endLogit,
      probability: exps[i]! / sum,
    }));
    if (!v2) {
      out.predictions[ex.id] = cands[0]!.text;
      return;
    }
    const best = cands.find((c) => c.text !== '') ?? cands[0]!;
    const diff = nullPred!.score - best.startLogit - best.endLogit;
    out.scoresDiff[ex.id] = diff;
    out.predictions[ex.id] = diff > (o.nullScoreDiffThreshold ?? 0) ? '' : best.text;
  });
  return out;
}
