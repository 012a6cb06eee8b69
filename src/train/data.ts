/**
 * Datasets, batches and the data order of training. A dataset is anything indexable with a
 * length (an array is one); a collator turns a list of examples into a batch of named tensors,
 * the model's keyword arguments (inputIds, attentionMask, labels, ...).
 *
 * The order of epoch e is a permutation drawn from a generator derived from (dataSeed, e) alone,
 * so any epoch, and any step within it, can be replayed without replaying the ones before: that
 * is what makes a resumed run see exactly the batches the uninterrupted run saw.
 */
import { Generator, ShapeError, Tensor, ValueError } from '../core/index.js';

/** A batch: the model's named inputs, each a tensor whose first dimension is the batch. */
export type Batch = Record<string, Tensor>;

/** Examples in, one batch out. */
export type DataCollator<T> = (examples: T[]) => Batch;

/** Anything indexable with a length: an array, a typed view, a lazy dataset object. */
export type Dataset<T> = ArrayLike<T>;

/**
 * The order of epoch `epoch`: a permutation of 0..n-1 from the (epoch + 1)-th generator spawned
 * from Generator(seed). Spawning costs two draws, so this is O(epoch + n), independent of what
 * came before.
 */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ValueError(`epochPermutation: epoch must be a non-negative integer, got ${epoch}`);
  }
  const root = new Generator(seed);
  let g = root.spawn();
  for (let e = 0; e < epoch; e++) g = root.spawn();
  return g.permutation(n);
}

type FieldValue = number | boolean | ArrayLike<number> | Tensor;

function isIntegral(values: Iterable<number>): boolean {
  for (const v of values) if (!Number.isInteger(v)) return false;
  return true;
}

/** The label key names Hugging Face's default collator renames to 'labels'. */
const LABEL_ALIASES = new Set(['label', 'labelIds']);

/**
 * Hugging Face's default_data_collator: every field of the examples stacked into a tensor.
 * Numbers become [batch] tensors, equal-length arrays [batch, length], tensors are stacked.
 * Int32Array and arrays of integers give int32, Float32Array/Float64Array and non-integers
 * float32 (pass a Float32Array for float targets that happen to be whole numbers). 'label' and
 * 'labelIds' are renamed 'labels'. Sequences of different lengths need a padding collator.
 */
export function defaultDataCollator(examples: readonly Record<string, unknown>[]): Batch {
  if (examples.length === 0) throw new ValueError('defaultDataCollator: got no examples');
  const out: Batch = {};
  for (const key of Object.keys(examples[0]!)) {
    const name = LABEL_ALIASES.has(key) ? 'labels' : key;
    const values = examples.map((ex, i) => {
      if (!Object.hasOwn(ex, key)) {
        throw new ValueError(`defaultDataCollator: example ${i} has no field '${key}'`);
      }
      return ex[key] as FieldValue;
    });
    const t = stackField(key, values);
    if (t) out[name] = t;
  }
  return out;
}

function stackField(key: string, values: FieldValue[]): Tensor | null {
  const first = values[0];
  if (first === null || first === undefined || typeof first === 'string') return null;
  const B = values.length;
  if (typeof first === 'number' || typeof first === 'boolean') {
    const nums = values.map((v, i) => {
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ValueError(`defaultDataCollator: field '${key}' of example ${i} is not a number`);
      }
      return Number(v);
    });
    return new Tensor(isIntegral(nums) ? Int32Array.from(nums) : Float32Array.from(nums), [B]);
  }
  if (first instanceof Tensor) {
    const shape = first.shape;
    const data = new (first.data.constructor as new (n: number) => Tensor['data'])(B * first.size);
    values.forEach((v, i) => {
      if (!(v instanceof Tensor) || v.shape.join() !== shape.join() || v.dtype !== first.dtype) {
        throw new ShapeError(
          `defaultDataCollator: field '${key}' of example ${i} does not match example 0's ${first}`,
        );
      }
      data.set(v.data, i * first.size);
    });
    return new Tensor(data, [B, ...shape]);
  }
  const L = (first as ArrayLike<number>).length;
  const rows = values.map((v, i) => {
    const row = v as ArrayLike<number>;
    if (typeof row !== 'object' || row.length !== L) {
      throw new ShapeError(
        `defaultDataCollator: field '${key}' has length ${L} in example 0 but ${(row as ArrayLike<number>)?.length} in example ${i}; use a padding collator`,
      );
    }
    return row;
  });
  const float =
    first instanceof Float32Array ||
    first instanceof Float64Array ||
    !rows.every((r) => isIntegral(Array.from(r)));
  const data = float ? new Float32Array(B * L) : new Int32Array(B * L);
  rows.forEach((r, i) => data.set(r, i * L));
  return new Tensor(data, [B, L]);
}

/** The number of examples in a batch: the first dimension of inputIds, labels or any tensor. */
export function batchSizeOf(batch: Batch): number {
  const t = batch.inputIds ?? batch.labels ?? Object.values(batch)[0];
  return t && t.rank > 0 ? t.shape[0]! : 0;
}

/** Tokens in a batch: attended positions when there is an attention mask, else inputIds' size. */
export function tokenCountOf(batch: Batch): number {
  const mask = batch.attentionMask;
  if (mask) {
    let n = 0;
    for (let i = 0; i < mask.size; i++) if (mask.data[i] !== 0) n++;
    return n;
  }
  return batch.inputIds ? batch.inputIds.size : 0;
}

/**
 * Concatenate along the first dimension, padding the second with `padValue` where the tensors
 * differ there (per-batch padded sequences; Hugging Face's nested_concat with -100).
 */
export function concatPadded(tensors: readonly Tensor[], padValue = -100): Tensor {
  if (tensors.length === 0) throw new ValueError('concatPadded: nothing to concatenate');
  const first = tensors[0]!;
  const rank = first.rank;
  if (rank === 0) throw new ShapeError('concatPadded: cannot concatenate 0-d tensors');
  for (const [i, t] of tensors.entries()) {
    const tailOk = t.rank === rank && t.shape.every((d, j) => j < 2 || d === first.shape[j]);
    if (!tailOk || t.dtype !== first.dtype) {
      throw new ShapeError(
        `concatPadded: tensor ${i} is ${t}, incompatible with ${first} beyond the second dimension`,
      );
    }
  }
  const rows = tensors.reduce((n, t) => n + t.shape[0]!, 0);
  const width = rank >= 2 ? Math.max(...tensors.map((t) => t.shape[1]!)) : 1;
  const inner = rank >= 3 ? first.shape.slice(2).reduce((a, b) => a * b, 1) : 1;
  const shape = rank >= 2 ? [rows, width, ...first.shape.slice(2)] : [rows];
  const data = new (first.data.constructor as new (n: number) => Tensor['data'])(
    rows * width * inner,
  );
  data.fill(padValue);
  let row = 0;
  for (const t of tensors) {
    const w = rank >= 2 ? t.shape[1]! : 1;
    for (let r = 0; r < t.shape[0]!; r++) {
      data.set(t.data.subarray(r * w * inner, (r + 1) * w * inner), (row + r) * width * inner);
    }
    row += t.shape[0]!;
  }
  return new Tensor(data, shape);
}
