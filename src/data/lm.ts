/**
 * Language-model corpora: tokenize documents, concatenate them and cut fixed-length blocks
 * (Hugging Face's `group_texts`: the remainder that does not fill a block is dropped), then serve
 * the blocks in seeded, shuffled batches. Labels are the inputs themselves; the model shifts.
 */
import { Generator as Rng } from '../core/rng.js';
import type { PreTrainedTokenizer } from '../text/pretrained.js';
import { DatasetError } from './errors.js';

export interface TokenizeCorpusOptions {
  /** Append the tokenizer's eos token after each document (default true when it has one). */
  appendEos?: boolean;
  addSpecialTokens?: boolean;
}

/** Token ids of every document. */
export function tokenizeCorpus(
  tok: PreTrainedTokenizer,
  texts: Iterable<string>,
  o: TokenizeCorpusOptions = {},
): number[][] {
  const eos = o.appendEos === false ? null : tok.eosTokenId;
  const out: number[][] = [];
  for (const t of texts) {
    const ids = tok.encode(t, { addSpecialTokens: o.addSpecialTokens ?? false }).ids;
    out.push(eos === null ? ids : [...ids, eos]);
  }
  return out;
}

/** Concatenate and cut into blocks of `blockSize` tokens; the incomplete tail is dropped. */
export function groupTexts(docs: readonly (readonly number[])[], blockSize: number): Int32Array[] {
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new DatasetError(`groupTexts: blockSize must be a positive integer, got ${blockSize}`);
  const total = docs.reduce((n, d) => n + d.length, 0);
  const all = new Int32Array(total);
  let at = 0;
  for (const d of docs) {
    all.set(d, at);
    at += d.length;
  }
  const blocks: Int32Array[] = [];
  for (let s = 0; s + blockSize <= total; s += blockSize) blocks.push(all.slice(s, s + blockSize));
  return blocks;
}

export interface LmBatch {
  /** Row-major [batch, blockSize]. */
  inputIds: Int32Array;
  batchSize: number;
  blockSize: number;
  /** Which blocks (indices into the input) the rows are. */
  indices: number[];
}

export interface LmBatchOptions {
  batchSize: number;
  seed: number;
  shuffle?: boolean;
  /** Drop a final batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/**
 * Batches of one epoch. Epoch k uses the k-th permutation drawn from `Generator(seed)` (core/rng), so any
 * epoch can be replayed on its own and the same seed gives the same order.
 */
export function* lmBatches(
  blocks: readonly Int32Array[],
  epoch: number,
  o: LmBatchOptions,
): Generator<LmBatch> {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1)
    throw new DatasetError(`lmBatches: batchSize must be a positive integer, got ${o.batchSize}`);
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new DatasetError(`lmBatches: epoch must be a non-negative integer, got ${epoch}`);
  const n = blocks.length;
  if (n === 0) return;
  const blockSize = blocks[0]!.length;
  let order: ArrayLike<number> = Array.from({ length: n }, (_, i) => i);
  if (o.shuffle !== false) {
    const g = new Rng(o.seed);
    for (let e = 0; e <= epoch; e++) order = g.permutation(n);
  }
  for (let s = 0; s < n; s += o.batchSize) {
    const size = Math.min(o.batchSize, n - s);
    if (size < o.batchSize && o.dropLast) return;
    const inputIds = new Int32Array(size * blockSize);
    const indices: number[] = [];
    for (let r = 0; r < size; r++) {
      const b = order[s + r]!;
      inputIds.set(blocks[b]!, r * blockSize);
      indices.push(b);
    }
    yield { inputIds, batchSize: size, blockSize, indices };
  }
}
