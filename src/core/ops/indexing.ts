import { record } from '../autograd.js';
import { IndexError, ShapeError } from '../errors.js';
import { formatShape, normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { reshape } from './shape-ops.js';
import { assertInt, assertSameDtype, newTensor } from './util.js';

function checkIndex(op: string, value: number, size: number, position: number): void {
  if (value < 0 || value >= size) {
    throw new IndexError(
      `${op}: index ${value} at position ${position} is out of range for a dim of size ${size}`,
    );
  }
}

/** [outer, len, inner] around an axis. */
function split3(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** Rows of x along `axis` picked by a 1-D int32 index (torch.index_select). */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  assertInt('indexSelect', index);
  if (index.rank !== 1)
    throw new ShapeError(`indexSelect: index must be 1-D, got ${formatShape(index.shape)}`);
  const ax = normalizeAxis('indexSelect', axis, x.rank);
  const [outer, len, inner] = split3(x.shape, ax);
  const k = index.size;
  for (let i = 0; i < k; i++) checkIndex('indexSelect', index.data[i], len, i);
  const shape = [...x.shape];
  shape[ax] = k;
  const out = newTensor(shape, x.dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < k; i++) {
      const src = (o * len + index.data[i]) * inner;
      out.data.set(x.data.subarray(src, src + inner), (o * k + i) * inner);
    }
  }
  return record('indexSelect', [x], out, (g) => {
    const dx = newTensor(x.shape, g.dtype);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < k; i++) {
        const dst = (o * len + index.data[i]) * inner;
        const src = (o * k + i) * inner;
        for (let j = 0; j < inner; j++) dx.data[dst + j] += g.data[src + j];
      }
    }
    return [dx];
  });
}

/** Embedding lookup: weight [vocab, dim], ids int32 of any shape -> [...ids.shape, dim]. */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  assertInt('embedding', ids, 'ids');
  if (weight.rank !== 2)
    throw new ShapeError(
      `embedding: weight must be 2-D [vocab, dim], got ${formatShape(weight.shape)}`,
    );
  const vocab = weight.shape[0];
  for (let i = 0; i < ids.size; i++) {
    const id = ids.data[i];
    if (id < 0 || id >= vocab) {
      throw new IndexError(
        `embedding: id ${id} at position ${i} is out of range for a vocabulary of ${vocab}`,
      );
    }
  }
  const rows = indexSelect(weight, 0, new Tensor(ids.data, [ids.size]));
  return reshape(rows, [...ids.shape, weight.shape[1]]);
}

/**
 * out[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (torch.gather): index has x's rank and
 * picks along `axis`; its other dims may be smaller than x's.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  assertInt('gather', index);
  const ax = normalizeAxis('gather', axis, x.rank);
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== ax && d > x.shape[i])) {
    throw new ShapeError(
      `gather: index shape ${formatShape(index.shape)} does not fit input ${formatShape(x.shape)} along axis ${axis}`,
    );
  }
  const offsets = gatherOffsets('gather', x.shape, ax, index);
  const out = newTensor(index.shape, x.dtype);
  for (let i = 0; i < offsets.length; i++) out.data[i] = x.data[offsets[i]];
  return record('gather', [x], out, (g) => {
    const dx = newTensor(x.shape, g.dtype);
    for (let i = 0; i < offsets.length; i++) dx.data[offsets[i]] += g.data[i];
    return [dx];
  });
}

/** Element offsets into `shape` for each element of `index`, replacing the coordinate on `axis`. */
function gatherOffsets(
  op: string,
  shape: readonly number[],
  axis: number,
  index: Tensor,
): Int32Array {
  const n = index.rank;
  const strides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const offsets = new Int32Array(index.size);
  const idx = new Array<number>(n).fill(0);
  for (let i = 0; i < index.size; i++) {
    const v = index.data[i];
    checkIndex(op, v, shape[axis], i);
    let off = 0;
    for (let d = 0; d < n; d++) off += (d === axis ? v : idx[d]) * strides[d];
    offsets[i] = off;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d] < index.shape[d]) break;
      idx[d] = 0;
    }
  }
  return offsets;
}

/** out = x with src added at positions index along axis (torch.scatter_add, not in place). */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  assertInt('scatterAdd', index);
  assertSameDtype('scatterAdd', x, src);
  const ax = normalizeAxis('scatterAdd', axis, x.rank);
  if (
    index.rank !== x.rank ||
    src.rank !== x.rank ||
    index.shape.some((d, i) => d > src.shape[i] || (i !== ax && d > x.shape[i]))
  ) {
    throw new ShapeError(
      `scatterAdd: index ${formatShape(index.shape)} must fit src ${formatShape(src.shape)} and input ${formatShape(x.shape)}`,
    );
  }
  const offsets = gatherOffsets('scatterAdd', x.shape, ax, index);
  const srcOffsets = contiguousOffsets(index.shape, src.shape);
  const out = new Tensor(x.data.slice(), x.shape);
  for (let i = 0; i < offsets.length; i++) out.data[offsets[i]] += src.data[srcOffsets[i]];
  return record('scatterAdd', [x, src], out, (g) => {
    const dsrc = newTensor(src.shape, g.dtype);
    for (let i = 0; i < offsets.length; i++) dsrc.data[srcOffsets[i]] = g.data[offsets[i]];
    return [g, dsrc];
  });
}

/** Offsets into a tensor of `shape` for each position of the (smaller or equal) `sub` box. */
function contiguousOffsets(sub: readonly number[], shape: readonly number[]): Int32Array {
  const n = sub.length;
  const strides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  const size = sub.reduce((p, d) => p * d, 1);
  const out = new Int32Array(size);
  const idx = new Array<number>(n).fill(0);
  for (let i = 0; i < size; i++) {
    let off = 0;
    for (let d = 0; d < n; d++) off += idx[d] * strides[d];
    out[i] = off;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d] < sub[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** One-hot float32 encoding of int32 ids: [...ids.shape, numClasses]. */
export function oneHot(ids: Tensor, numClasses: number): Tensor {
  assertInt('oneHot', ids, 'ids');
  if (!Number.isInteger(numClasses) || numClasses <= 0) {
    throw new ShapeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  }
  const out = newTensor([...ids.shape, numClasses], 'float32');
  for (let i = 0; i < ids.size; i++) {
    checkIndex('oneHot', ids.data[i], numClasses, i);
    out.data[i * numClasses + ids.data[i]] = 1;
  }
  return out;
}
