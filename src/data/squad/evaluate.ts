/**
 * SQuAD exact match and F1, reproducing the official evaluation scripts (evaluate-v1.1.py and
 * evaluate-v2.0.py) including their differences: v1.1 scores every question and counts a missing
 * prediction as 0; v2.0 skips missing predictions, treats a question whose answers all normalise
 * to nothing as "no answer" (gold ['']), and reports HasAns/NoAns breakdowns.
 */
import type { SquadDataset } from './load.js';

// Python's string.punctuation: ASCII only, on purpose (the scripts leave Unicode punctuation in).
const PUNCT = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python's \b: between a \w (Unicode letter, digit or underscore) and a non-\w character.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
// Python's str.split(): runs of characters for which str.isspace() is true (U+001C-U+001F too).
// eslint-disable-next-line no-control-regex -- those separators are exactly what must match
const PY_SPACE = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** lower -> remove punctuation -> remove articles -> collapse whitespace, as the scripts do. */
export function normalizeAnswer(s: string): string {
  const lower = s.toLowerCase();
  const noPunct = [...lower].filter((c) => !PUNCT.has(c)).join('');
  return splitWhitespace(noPunct.replace(ARTICLES, ' ')).join(' ');
}

function splitWhitespace(s: string): string[] {
  return s.split(PY_SPACE).filter((t) => t.length > 0);
}

export function exactMatch(prediction: string, truth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(truth) ? 1 : 0;
}

function common(a: string[], b: string[]): number {
  const counts = new Map<string, number>();
  for (const t of a) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of b) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  return same;
}

/** Token-overlap F1 of v1.1 (0 when nothing is shared, including two empty answers). */
export function f1Score(prediction: string, truth: string): number {
  const p = splitWhitespace(normalizeAnswer(prediction));
  const g = splitWhitespace(normalizeAnswer(truth));
  const same = common(p, g);
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** F1 of v2.0: when either side is empty, 1 if both are, else 0. */
export function f1ScoreV2(prediction: string, truth: string): number {
  const p = prediction ? splitWhitespace(normalizeAnswer(prediction)) : [];
  const g = truth ? splitWhitespace(normalizeAnswer(truth)) : [];
  if (p.length === 0 || g.length === 0) return p.length === 0 && g.length === 0 ? 1 : 0;
  return f1Score(prediction, truth);
}

export interface SquadScores {
  /** Percentages, as the official scripts print them. */
  exactMatch: number;
  f1: number;
  /** Questions scored (v2.0: those with a prediction). */
  total: number;
  missing: string[];
  hasAns?: { exactMatch: number; f1: number; total: number };
  noAns?: { exactMatch: number; f1: number; total: number };
}

/**
 * Score `predictions` (question id -> answer text) against a dataset. `version` defaults to the
 * dataset's: "v2.0" (or any example marked impossible) selects the v2.0 script.
 */
export function squadEvaluate(
  predictions: Record<string, string>,
  dataset: SquadDataset,
  version?: '1.1' | '2.0',
): SquadScores {
  const v2 = version
    ? version === '2.0'
    : dataset.version.includes('2.0') || dataset.examples.some((e) => e.isImpossible);
  const missing: string[] = [];
  const em: number[] = [];
  const f1: number[] = [];
  const hasAns: boolean[] = [];
  for (const ex of dataset.examples) {
    const pred = Object.hasOwn(predictions, ex.id) ? predictions[ex.id] : undefined;
    if (pred === undefined) {
      missing.push(ex.id);
      if (!v2) {
        em.push(0);
        f1.push(0);
      }
      continue;
    }
    let golds = ex.answers.map((a) => a.text);
    if (v2) {
      golds = golds.filter((g) => normalizeAnswer(g) !== '');
      hasAns.push(golds.length > 0);
      if (golds.length === 0) golds = [''];
    }
    em.push(Math.max(...golds.map((g) => exactMatch(pred, g))));
    f1.push(Math.max(...golds.map((g) => (v2 ? f1ScoreV2(pred, g) : f1Score(pred, g)))));
  }
  const pct = (xs: number[]): number =>
    xs.length === 0 ? 0 : (100 * xs.reduce((a, b) => a + b, 0)) / xs.length;
  const scores: SquadScores = { exactMatch: pct(em), f1: pct(f1), total: em.length, missing };
  if (v2) {
    const part = (want: boolean): { exactMatch: number; f1: number; total: number } => {
      const idx = hasAns.map((h, i) => (h === want ? i : -1)).filter((i) => i >= 0);
      return {
        exactMatch: pct(idx.map((i) => em[i]!)),
        f1: pct(idx.map((i) => f1[i]!)),
        total: idx.length,
      };
    };
    scores.hasAns = part(true);
    scores.noAns = part(false);
  }
  return scores;
}
