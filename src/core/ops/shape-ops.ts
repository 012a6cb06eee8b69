import { record } from '../autograd.js';
import { DTypeError, IndexError, ShapeError } from '../errors.js';
import { formatShape, normalizeAxis, sameShape, sizeOf, stridesOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { expandTo, sumTo } from './reduce.js';
import { newTensor, outputTensor } from './util.js';

/** Same data, new shape; one dim may be -1. Shares the buffer (storage is contiguous). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = [...shape];
  const free = resolved.indexOf(-1);
  if (free !== resolved.lastIndexOf(-1)) {
    throw new ShapeError(`reshape: only one dim may be -1, got ${formatShape(shape)}`);
  }
  if (free >= 0) {
    const known = resolved.reduce((p, d, i) => (i === free ? p : p * d), 1);
    if (known === 0 || x.size % known !== 0) {
      throw new ShapeError(
        `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
      );
    }
    resolved[free] = x.size / known;
  }
  if (resolved.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(resolved) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`,
    );
  }
  const out = new Tensor(x.data, resolved);
  return record('reshape', [x], out, (g) => [new Tensor(g.data, x.shape)]);
}

/** Merge dims start..end (inclusive) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', start, x.rank);
  const e = normalizeAxis('flatten', end, x.rank);
  if (s > e) {
    throw new ShapeError(
      `flatten: start dim ${start} comes after end dim ${end} for ${formatShape(x.shape)}`,
    );
  }
  const merged = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)]);
}

/** Drop size-1 dims (all, or the one given; a non-1 dim given is an error). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const ax = normalizeAxis('squeeze', axis, x.rank);
  if (x.rank === 0) return reshape(x, []); // torch: squeezing a 0-d tensor is the identity
  if (x.shape[ax] !== 1) {
    throw new ShapeError(
      `squeeze: dim ${axis} of ${formatShape(x.shape)} has size ${x.shape[ax]}, not 1`,
    );
  }
  return reshape(
    x,
    x.shape.filter((_, i) => i !== ax),
  );
}

/** Reorder dims (copies). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.rank) {
    throw new ShapeError(
      `permute: got ${dims.length} dims [${dims.join(',')}] for a tensor of rank ${x.rank}`,
    );
  }
  const perm = dims.map((d) => normalizeAxis('permute', d, x.rank));
  if (new Set(perm).size !== perm.length)
    throw new ShapeError(`permute: repeated dim in [${dims.join(',')}]`);
  const out = permuteRaw(x, perm);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return record('permute', [x], out, (g) => [permuteRaw(g, inverse)]);
}

function permuteRaw(x: Tensor, perm: number[]): Tensor {
  const shape = perm.map((p) => x.shape[p]);
  const out = outputTensor(shape, x.dtype);
  const inStrides = stridesOf(x.shape);
  const strides = perm.map((p) => inStrides[p]);
  const n = shape.length;
  // Fast path: swapping the last two dims of a batch of matrices (attention heads, weights).
  if (n >= 2 && perm.slice(0, n - 2).every((p, i) => p === i) && perm[n - 2] === n - 1) {
    const rows = x.shape[n - 2];
    const cols = x.shape[n - 1];
    const batch = x.size / (rows * cols || 1);
    const src = x.data;
    const dst = out.data;
    for (let b = 0; b < batch; b++) {
      const o = b * rows * cols;
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) dst[o + c * rows + r] = src[o + r * cols + c];
    }
    return out;
  }
  // Dims that stay last and in order are copied as contiguous runs (attention's split/merge
  // heads keep the head dim): the odometer then steps once per run, not once per element.
  let keep = 1;
  let run = 1;
  while (keep < n && perm[n - keep] === n - keep && perm[n - keep - 1] === n - keep - 1) keep++;
  if (perm[n - 1] !== n - 1) keep = 0;
  for (let d = n - keep; d < n; d++) run *= shape[d];
  const outer = n - keep;
  const idx = new Array<number>(outer).fill(0);
  let off = 0;
  const src = x.data;
  const dst = out.data;
  for (let i = 0; i < dst.length; i += run) {
    for (let j = 0; j < run; j++) dst[i + j] = src[off + j];
    for (let d = outer - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Swap two dims (copies). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const a = normalizeAxis('transpose', dim0, x.rank);
  const b = normalizeAxis('transpose', dim1, x.rank);
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/**
 * Elements start..end-1 (step 1) along an axis, as torch.narrow / x[..., start:end]. Negative
 * bounds count from the end. Along the first non-trivial axis this is a zero-copy view.
 */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  if (x.rank === 0) throw new ShapeError('slice: cannot slice a 0-d tensor');
  const ax = normalizeAxis('slice', axis, x.rank);
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > len || s > e) {
    throw new IndexError(
      `slice: range [${start}, ${end ?? len}) is out of bounds for dim ${axis} of size ${len} in ${formatShape(x.shape)}`,
    );
  }
  const shape = [...x.shape];
  shape[ax] = e - s;
  let outer = 1;
  for (let i = 0; i < ax; i++) outer *= x.shape[i];
  const inner = x.size / (outer * len || 1);
  let out: Tensor;
  if (outer === 1) {
    out = new Tensor(x.data.subarray(s * inner, e * inner), shape);
  } else {
    out = outputTensor(shape, x.dtype);
    const chunk = (e - s) * inner;
    for (let o = 0; o < outer; o++) {
      out.data.set(
        x.data.subarray(o * len * inner + s * inner, o * len * inner + e * inner),
        o * chunk,
      );
    }
  }
  return record('slice', [x], out, (g) => {
    const dx = newTensor(x.shape, g.dtype);
    const chunk = (e - s) * inner;
    for (let o = 0; o < outer; o++)
      dx.data.set(g.data.subarray(o * chunk, (o + 1) * chunk), o * len * inner + s * inner);
    return [dx];
  });
}

/** Join tensors along an existing axis. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('concat: need at least one tensor');
  const first = tensors[0];
  if (first.rank === 0) throw new ShapeError('concat: cannot concatenate 0-d tensors; use stack');
  const ax = normalizeAxis('concat', axis, first.rank);
  for (const [i, t] of tensors.entries()) {
    if (t.dtype !== first.dtype) {
      throw new DTypeError(`concat: tensor ${i} is ${t.dtype}, expected ${first.dtype}`);
    }
    const ok = t.rank === first.rank && t.shape.every((d, j) => j === ax || d === first.shape[j]);
    if (!ok) {
      throw new ShapeError(
        `concat: tensor ${i} has shape ${formatShape(t.shape)} (${t.dtype}), incompatible with ${formatShape(first.shape)} (${first.dtype}) along axis ${axis}`,
      );
    }
  }
  const shape = [...first.shape];
  shape[ax] = tensors.reduce((p, t) => p + t.shape[ax], 0);
  let outer = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  const inner = shape.slice(ax + 1).reduce((p, d) => p * d, 1);
  const out = outputTensor(shape, first.dtype);
  const rowOut = shape[ax] * inner;
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const rowIn = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++)
      out.data.set(t.data.subarray(o * rowIn, (o + 1) * rowIn), o * rowOut + offset);
    offsets.push(offset);
    offset += rowIn;
  }
  return record('concat', tensors, out, (g) =>
    tensors.map((t, i) => {
      if (!t.requiresGrad) return null;
      const rowIn = t.shape[ax] * inner;
      const dx = outputTensor(t.shape, g.dtype);
      for (let o = 0; o < outer; o++)
        dx.data.set(
          g.data.subarray(o * rowOut + offsets[i], o * rowOut + offsets[i] + rowIn),
          o * rowIn,
        );
      return dx;
    }),
  );
}

/** Join tensors of equal shape along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError('stack: need at least one tensor');
  const ax = normalizeAxis('stack', axis, tensors[0].rank + 1);
  for (const [i, t] of tensors.entries()) {
    if (!sameShape(t.shape, tensors[0].shape)) {
      throw new ShapeError(
        `stack: tensor ${i} has shape ${formatShape(t.shape)}, expected ${formatShape(tensors[0].shape)}`,
      );
    }
  }
  return concat(
    tensors.map((t) => unsqueeze(t, ax)),
    ax,
  );
}

/** Split into chunks of the given sizes (or equal chunks of `sizes` elements) along an axis. */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const ax = normalizeAxis('split', axis, x.rank);
  const len = x.shape[ax];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0)
      throw new ShapeError(`split: chunk size must be a positive integer, got ${sizes}`);
    parts = [];
    for (let s = 0; s < len; s += sizes) parts.push(Math.min(sizes, len - s));
    if (len === 0) parts.push(0); // torch: an empty dim still splits into one (empty) chunk
  } else {
    parts = [...sizes];
    if (parts.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new ShapeError(`split: sizes [${parts.join(',')}] must be non-negative integers`);
    }
    if (parts.reduce((p, d) => p + d, 0) !== len) {
      throw new ShapeError(
        `split: sizes [${parts.join(',')}] do not add up to dim ${axis} of size ${len}`,
      );
    }
  }
  const out: Tensor[] = [];
  let start = 0;
  for (const p of parts) {
    out.push(slice(x, ax, start, start + p));
    start += p;
  }
  return out;
}

/**
 * Broadcast to a larger shape (copies); the gradient sums back. As torch.expand: new dims go in
 * front, a size-1 dim may take any size, -1 keeps an existing dim.
 */
export function expand(x: Tensor, shape: Shape): Tensor {
  const lead = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  const fits =
    lead >= 0 &&
    target.every(
      (d, i) =>
        Number.isInteger(d) &&
        d >= 0 &&
        (i < lead || x.shape[i - lead] === 1 || x.shape[i - lead] === d),
    );
  if (!fits) {
    throw new ShapeError(`expand: cannot expand ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  const out = expandTo(x, target);
  return record('expand', [x], out, (g) => [sumTo(g, x.shape)]);
}
