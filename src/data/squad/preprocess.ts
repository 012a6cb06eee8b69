/**
 * Hugging Face's extractive-QA preprocessing (examples/pytorch/question-answering, run_qa.py):
 * question + context through the tokenizer with `truncation: 'only_second'`, `maxLength` (384) and
 * a doc stride (128) of overlap between windows, so a long context becomes several features. Each
 * feature gets the token positions of the answer's first and last token, or the [CLS] index when
 * the example has no answer or the answer is not wholly inside that window.
 */
import type { PreTrainedTokenizer } from '../../text/pretrained.js';
import { DatasetError } from '../errors.js';
import type { SquadExample } from './load.js';

export interface QaFeature {
  /** Index of the example in the input list, and its id. */
  exampleIndex: number;
  exampleId: string;
  inputIds: number[];
  attentionMask: number[];
  tokenTypeIds: number[];
  /** Offsets into the context for context tokens; null for question, special and pad tokens. */
  offsetMapping: ([number, number] | null)[];
  startPosition: number;
  endPosition: number;
  clsIndex: number;
}

export interface QaPrepareOptions {
  maxLength?: number;
  docStride?: number;
  /** Default: true when the tokenizer pads on the right (question first), as run_qa.py decides. */
  questionFirst?: boolean;
}

export function prepareQaFeatures(
  tok: PreTrainedTokenizer,
  examples: SquadExample[],
  o: QaPrepareOptions = {},
): QaFeature[] {
  const maxLength = o.maxLength ?? 384;
  const stride = o.docStride ?? 128;
  const questionFirst = o.questionFirst ?? tok.settings.paddingSide === 'right';
  const ctxSeq = questionFirst ? 1 : 0;
  // run_qa.py strips leading whitespace from questions: some SQuAD questions start with many spaces.
  const questions = examples.map((e) => e.question.replace(/^\s+/, ''));
  const contexts = examples.map((e) => e.context);
  const enc = tok(questionFirst ? questions : contexts, {
    textPair: questionFirst ? contexts : questions,
    truncation: questionFirst ? 'only_second' : 'only_first',
    maxLength,
    stride,
    returnOverflowingTokens: true,
    returnOffsetsMapping: true,
    padding: tok.padTokenId === null ? false : 'max_length',
  });
  const cls = tok.clsTokenId ?? tok.bosTokenId;
  return enc.inputIds.map((ids, i): QaFeature => {
    const exampleIndex = enc.overflowToSampleMapping![i]!;
    const ex = examples[exampleIndex]!;
    const seq = enc.sequenceIds[i]!;
    const offsets = enc.offsetMapping![i]!;
    const found = cls === null ? -1 : ids.indexOf(cls);
    const clsIndex = found >= 0 ? found : 0;
    const feature: QaFeature = {
      exampleIndex,
      exampleId: ex.id,
      inputIds: ids,
      attentionMask: enc.attentionMask[i]!,
      tokenTypeIds: enc.tokenTypeIds[i]!,
      offsetMapping: offsets.map((off, k) => (seq[k] === ctxSeq ? off : null)),
      startPosition: clsIndex,
      endPosition: clsIndex,
      clsIndex,
    };
    const answer = ex.answers[0];
    if (!answer) return feature;
    const startChar = answer.answerStart;
    const endChar = startChar + answer.text.length;
    let first = 0;
    while (first < seq.length && seq[first] !== ctxSeq) first++;
    let last = seq.length - 1;
    while (last >= 0 && seq[last] !== ctxSeq) last--;
    if (first > last) {
      throw new DatasetError(
        `QA preprocessing: example ${ex.id} has a window with no context tokens (maxLength ${maxLength} too small for its question?)`,
      );
    }
    if (!(offsets[first]![0] <= startChar && offsets[last]![1] >= endChar)) return feature;
    // Both searches stay inside the context. run_qa.py relies on a separator with offsets (0, 0)
    // to stop them; a byte-level BPE (GPT-2) has none, and question offsets count from the
    // question's start, so an answer in the first or last context token ran into them.
    const [ctxFirst, ctxLast] = [first, last];
    while (first <= ctxLast && offsets[first]![0] <= startChar) first++;
    while (last >= ctxFirst && offsets[last]![1] >= endChar) last--;
    feature.startPosition = first - 1;
    feature.endPosition = last + 1;
    return feature;
  });
}
