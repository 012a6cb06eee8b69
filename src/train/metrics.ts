/**
 * Training and evaluation metrics: accuracy, F1 (per class and macro, as scikit-learn), SQuAD
 * exact match / F1 (the official scripts, through src/data's squadEvaluate), and perplexity.
 * Everything is computed in float64 from plain arrays or tensors, outside any autograd graph.
 */
import { IndexError, ShapeError, ValueError, type Tensor } from '../core/index.js';
import { squadEvaluate, type SquadDataset } from '../data/index.js';

/** Index of the largest value along the last dimension of x (first on ties), per row. */
export function argmaxLast(x: Tensor): Int32Array {
  const cols = x.rank === 0 ? 1 : x.shape[x.rank - 1]!;
  if (cols === 0) throw new ShapeError(`argmaxLast: ${x} has an empty last dimension`);
  const rows = x.size / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = x.data[r * cols]!;
    for (let c = 1; c < cols; c++) {
      const v = x.data[r * cols + c]!;
      if (v > bestValue || (bestValue !== bestValue && v === v)) {
        best = c;
        bestValue = v;
      }
    }
    out[r] = best;
  }
  return out;
}

function checkPair(op: string, predictions: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (predictions.length !== labels.length) {
    throw new ShapeError(
      `${op}: ${predictions.length} predictions but ${labels.length} labels; they must pair up`,
    );
  }
}

export interface LabelOptions {
  /** Pairs whose label is this value are left out (e.g. -100 for padding); default none. */
  ignoreIndex?: number;
}

/** The fraction of predictions equal to their label (NaN when nothing is scored). */
export function accuracy(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: LabelOptions = {},
): number {
  checkPair('accuracy', predictions, labels);
  let right = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    if (options.ignoreIndex !== undefined && labels[i] === options.ignoreIndex) continue;
    total++;
    if (predictions[i] === labels[i]) right++;
  }
  return total === 0 ? NaN : right / total;
}

export interface F1Options extends LabelOptions {
  /**
   * The classes to score, in order. Default: every class seen in the labels or the predictions
   * (sorted), as scikit-learn. A class given here that appears in neither gets zeroDivision.
   */
  classes?: readonly number[];
  /**
   * F1 of a class with no true and no predicted examples (0/0): 0 (scikit-learn's default, 'warn'
   * without the warning), 1, or 'nan' to leave the class out of the macro average.
   */
  zeroDivision?: 0 | 1 | 'nan';
}

export interface PerClassScores {
  classes: number[];
  precision: number[];
  recall: number[];
  f1: number[];
  /** True examples per class. */
  support: number[];
}

/** Precision, recall and F1 per class (scikit-learn's precision_recall_fscore_support). */
export function perClassF1(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: F1Options = {},
): PerClassScores {
  checkPair('perClassF1', predictions, labels);
  const zd = options.zeroDivision === 'nan' ? NaN : (options.zeroDivision ?? 0);
  const keep = (i: number): boolean =>
    options.ignoreIndex === undefined || labels[i] !== options.ignoreIndex;
  let classes: number[];
  if (options.classes) classes = [...options.classes];
  else {
    const seen = new Set<number>();
    for (let i = 0; i < labels.length; i++) {
      if (!keep(i)) continue;
      seen.add(labels[i]!);
      seen.add(predictions[i]!);
    }
    classes = [...seen].sort((a, b) => a - b);
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  const tp = new Float64Array(classes.length);
  const predicted = new Float64Array(classes.length);
  const actual = new Float64Array(classes.length);
  for (let i = 0; i < labels.length; i++) {
    if (!keep(i)) continue;
    const p = index.get(predictions[i]!);
    const t = index.get(labels[i]!);
    if (p !== undefined) predicted[p]++;
    if (t !== undefined) actual[t]++;
    if (p !== undefined && p === t) tp[p]++;
  }
  const div = (a: number, b: number): number => (b === 0 ? zd : a / b);
  return {
    classes,
    precision: classes.map((_, k) => div(tp[k]!, predicted[k]!)),
    recall: classes.map((_, k) => div(tp[k]!, actual[k]!)),
    // scikit-learn >= 1.3: F = 2 tp / (2 tp + fp + fn), zeroDivision only when that is 0/0.
    f1: classes.map((_, k) => div(2 * tp[k]!, predicted[k]! + actual[k]!)),
    support: Array.from(actual),
  };
}

/** The unweighted mean of the per-class F1 scores (scikit-learn's f1_score(average='macro')). */
export function macroF1(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: F1Options = {},
): number {
  const { f1 } = perClassF1(predictions, labels, options);
  const scored = f1.filter((v) => !Number.isNaN(v));
  return scored.length === 0 ? NaN : scored.reduce((a, b) => a + b, 0) / scored.length;
}

/** SQuAD exact match and F1 (percentages) by the official scripts; see squadEvaluate. */
export function squadMetrics(
  predictions: Record<string, string>,
  dataset: SquadDataset,
  version?: '1.1' | '2.0',
): { exactMatch: number; f1: number } {
  const s = squadEvaluate(predictions, dataset, version);
  return { exactMatch: s.exactMatch, f1: s.f1 };
}

export interface NllOptions {
  /** Position t's logits score the label at t + 1 (causal LM); default true for [B, T, V]. */
  shift?: boolean;
  /** Labels equal to this are not scored (default -100). */
  ignoreIndex?: number;
}

/**
 * Summed negative log-likelihood of the labels and how many were scored. Logits [B, T, V] with
 * labels [B, T] (shifted by default, as a causal LM's loss), or [N, V] with [N].
 */
export function tokenNll(
  logits: Tensor,
  labels: Tensor,
  options: NllOptions = {},
): { sum: number; count: number } {
  const ignore = options.ignoreIndex ?? -100;
  const rank3 = logits.rank === 3;
  if (!(rank3 || logits.rank === 2) || labels.rank !== logits.rank - 1) {
    throw new ShapeError(
      `tokenNll: expected logits [B, T, V] with labels [B, T] or [N, V] with [N], got ${logits} and ${labels}`,
    );
  }
  const V = logits.shape[logits.rank - 1]!;
  const B = rank3 ? logits.shape[0]! : 1;
  const T = rank3 ? logits.shape[1]! : logits.shape[0]!;
  const labelT = rank3 ? labels.shape[1]! : labels.shape[0]!;
  if ((rank3 && labels.shape[0] !== B) || labelT !== T) {
    throw new ShapeError(`tokenNll: labels ${labels} do not match logits ${logits}`);
  }
  const shift = options.shift ?? rank3;
  let sum = 0;
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + (shift ? 1 : 0) < T; t++) {
      const y = labels.data[b * T + t + (shift ? 1 : 0)]!;
      if (y === ignore) continue;
      if (!Number.isInteger(y) || y < 0 || y >= V) {
        throw new IndexError(`tokenNll: label ${y} at [${b}, ${t}] is outside [0, ${V})`);
      }
      const row = (b * T + t) * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits.data[row + v]!);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(logits.data[row + v]! - max);
      sum += max + Math.log(z) - logits.data[row + y]!;
      count++;
    }
  }
  return { sum, count };
}

/** exp(mean token NLL) over the labels that are not ignored (NaN when none are). */
export function perplexity(logits: Tensor, labels: Tensor, options: NllOptions = {}): number {
  const { sum, count } = tokenNll(logits, labels, options);
  return count === 0 ? NaN : Math.exp(sum / count);
}

/** Perplexity from a mean NLL (an eval loss), as Hugging Face's run_clm reports it. */
export function perplexityFromLoss(meanNll: number): number {
  if (typeof meanNll !== 'number') throw new ValueError(`perplexityFromLoss: got ${meanNll}`);
  return Math.exp(meanNll);
}
