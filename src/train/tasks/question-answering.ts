/**
 * Extractive question answering (SQuAD): features come from src/data's prepareQaFeatures (long
 * contexts split into overlapping windows); the collator batches them with the answer's start
 * and end token positions; evaluateQa runs a model over the features, turns the start/end logits
 * back into answer texts through the n-best post-processing and scores them with the official
 * SQuAD exact match and F1.
 */
import { noGrad, Tensor, ValueError } from '../../core/index.js';
import {
  postprocessQaPredictions,
  squadEvaluate,
  type Candidate,
  type QaFeature,
  type QaPostprocessOptions,
  type SquadExample,
} from '../../data/index.js';
import type { Module } from '../../nn/index.js';
import type { Batch, DataCollator } from '../data.js';
import type { ComputeMetrics, EvalPrediction } from '../types.js';
import { padRows, padTokenRows, type PaddingOptions } from './padding.js';

export interface QaCollatorOptions extends PaddingOptions {
  padTokenId?: number | null;
}

/** A collator giving { inputIds, attentionMask, tokenTypeIds, startPositions, endPositions }. */
export function qaCollator(options: QaCollatorOptions = {}): DataCollator<QaFeature> {
  const pad = options.padTokenId ?? 0;
  return (features: QaFeature[]): Batch => {
    const { inputIds, attentionMask, L } = padTokenRows('qaCollator', features, pad, options);
    return {
      inputIds,
      attentionMask,
      tokenTypeIds: padRows(
        features.map((f) => f.tokenTypeIds),
        L,
        0,
      ),
      startPositions: new Tensor(Int32Array.from(features.map((f) => f.startPosition)), [
        features.length,
      ]),
      endPositions: new Tensor(Int32Array.from(features.map((f) => f.endPosition)), [
        features.length,
      ]),
    };
  };
}

/** A QA model: forward gives start and end logits, [batch, seq] each. */
export type QaModel = Module & {
  forward(inputs: Batch): { startLogits: Tensor; endLogits: Tensor };
};

export interface EvaluateQaOptions extends QaPostprocessOptions, QaCollatorOptions {
  /** Features per forward pass (default 16). */
  batchSize?: number;
}

export interface QaEvaluation {
  /** Percentages, as the official script prints them. */
  exactMatch: number;
  f1: number;
  predictions: Record<string, string>;
  nbest: Record<string, Candidate[]>;
}

/** Score start/end logit rows (one per feature) against the examples' answers. */
export function scoreQaLogits(
  examples: SquadExample[],
  features: QaFeature[],
  startLogits: ArrayLike<number>[],
  endLogits: ArrayLike<number>[],
  options: QaPostprocessOptions = {},
): QaEvaluation {
  const post = postprocessQaPredictions(examples, features, startLogits, endLogits, options);
  const scores = squadEvaluate(
    post.predictions,
    { version: options.versionTwo ? 'v2.0' : '1.1', examples },
    options.versionTwo ? '2.0' : '1.1',
  );
  return {
    exactMatch: scores.exactMatch,
    f1: scores.f1,
    predictions: post.predictions,
    nbest: post.nbest,
  };
}

/**
 * Run the model (eval mode, no gradients) over the features, post-process the n best spans per
 * example and return SQuAD EM/F1 with the predicted answers.
 */
export function evaluateQa(
  model: QaModel,
  examples: SquadExample[],
  features: QaFeature[],
  options: EvaluateQaOptions = {},
): QaEvaluation {
  const bs = options.batchSize ?? 16;
  if (!Number.isInteger(bs) || bs < 1) {
    throw new ValueError(`evaluateQa: batchSize must be a positive integer, got ${bs}`);
  }
  const collate = qaCollator(options);
  const starts: Float64Array[] = [];
  const ends: Float64Array[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < features.length; s += bs) {
        const chunk = features.slice(s, s + bs);
        const out = model.forward(collate(chunk));
        const T = out.startLogits.shape[1]!;
        chunk.forEach((f, i) => {
          // Only the feature's own positions: padding added by the collator is never a span.
          const n = f.inputIds.length;
          starts.push(Float64Array.from(out.startLogits.data.subarray(i * T, i * T + n)));
          ends.push(Float64Array.from(out.endLogits.data.subarray(i * T, i * T + n)));
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return scoreQaLogits(examples, features, starts, ends, options);
}

/**
 * computeMetrics for Trainer.evaluate over QA features (evalDataset = the features, in order):
 * predictions are the model's logits [N, T, 2] (start and end side by side).
 */
export function qaComputeMetrics(
  examples: SquadExample[],
  features: QaFeature[],
  options: QaPostprocessOptions = {},
): ComputeMetrics {
  return (p: EvalPrediction): Record<string, number> => {
    const logits = p.predictions;
    if (logits.rank !== 3 || logits.shape[2] !== 2 || logits.shape[0] !== features.length) {
      throw new ValueError(
        `qaComputeMetrics: expected logits [${features.length}, T, 2] for ${features.length} features, got ${logits}`,
      );
    }
    const T = logits.shape[1]!;
    const starts: Float64Array[] = [];
    const ends: Float64Array[] = [];
    features.forEach((f, i) => {
      const n = f.inputIds.length;
      const s = new Float64Array(n);
      const e = new Float64Array(n);
      for (let t = 0; t < n; t++) {
        s[t] = logits.data[(i * T + t) * 2]!;
        e[t] = logits.data[(i * T + t) * 2 + 1]!;
      }
      starts.push(s);
      ends.push(e);
    });
    const r = scoreQaLogits(examples, features, starts, ends, options);
    return { exact_match: r.exactMatch, f1: r.f1 };
  };
}
