import { record } from '../autograd.js';
import { ShapeError } from '../errors.js';
import { formatShape, normalizeAxis, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { broadcastOffsets } from './broadcast.js';
import { assertFloat, newTensor } from './util.js';

export type Axis = number | readonly number[] | undefined;
export interface ReduceOptions {
  keepDim?: boolean;
}

/** Sorted, unique, non-negative axes; undefined means all. */
export function resolveAxes(op: string, axis: Axis, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = [...new Set(list.map((a) => normalizeAxis(op, a, rank)))].sort((a, b) => a - b);
  if (out.length !== list.length)
    throw new ShapeError(`${op}: repeated axis in [${list.join(',')}]`);
  // A 0-d tensor has no dim to reduce: axis 0 / -1 is accepted (as torch) and is the identity.
  return rank === 0 ? [] : out;
}

function reducedShape(shape: Shape, axes: number[], keepDim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDim) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

/** View x as [outer, len, inner] around one axis. */
function split3(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}

/** Sum over axes without autograd; keeps reduced dims as 1. */
function sumRaw(x: Tensor, axes: number[]): Tensor {
  let cur = x;
  for (let k = axes.length - 1; k >= 0; k--) {
    const axis = axes[k];
    const [outer, len, inner] = split3(cur.shape, axis);
    const shape = [...cur.shape];
    shape[axis] = 1;
    const out = newTensor(shape, cur.dtype);
    const src = cur.data;
    const dst = out.data;
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      const ob = o * inner;
      for (let l = 0; l < len; l++) {
        const row = base + l * inner;
        for (let i = 0; i < inner; i++) dst[ob + i] += src[row + i];
      }
    }
    cur = out;
  }
  return cur === x ? new Tensor(x.data.slice(), x.shape) : cur;
}

/** Broadcast g (shape with reduced dims kept) back to `shape`. */
export function expandTo(g: Tensor, shape: Shape): Tensor {
  const out = newTensor(shape, g.dtype);
  const idx = broadcastOffsets(g.shape, shape);
  const gd = g.data;
  const od = out.data;
  for (let i = 0; i < od.length; i++) od[i] = gd[idx[i]];
  return out;
}

function withShape(t: Tensor, shape: Shape): Tensor {
  return new Tensor(t.data, shape);
}

export function sum(x: Tensor, axis?: Axis, options: ReduceOptions = {}): Tensor {
  const axes = resolveAxes('sum', axis, x.rank);
  const keep = reducedShape(x.shape, axes, true);
  const out = withShape(sumRaw(x, axes), reducedShape(x.shape, axes, options.keepDim ?? false));
  return record('sum', [x], out, (g) => [expandTo(withShape(g, keep), x.shape)]);
}

export function mean(x: Tensor, axis?: Axis, options: ReduceOptions = {}): Tensor {
  assertFloat('mean', x);
  const axes = resolveAxes('mean', axis, x.rank);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  const keep = reducedShape(x.shape, axes, true);
  const s = sumRaw(x, axes);
  for (let i = 0; i < s.size; i++) s.data[i] /= count;
  const out = withShape(s, reducedShape(x.shape, axes, options.keepDim ?? false));
  return record('mean', [x], out, (g) => {
    const e = expandTo(withShape(g, keep), x.shape);
    for (let i = 0; i < e.size; i++) e.data[i] /= count;
    return [e];
  });
}

/** Sum a broadcast gradient down to `shape` (leading dims dropped, size-1 dims summed). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  const lead = g.rank - shape.length;
  if (lead < 0) {
    throw new ShapeError(`sumTo: cannot reduce ${formatShape(g.shape)} to ${formatShape(shape)}`);
  }
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return withShape(sumRaw(g, axes), shape);
}

/**
 * max/min along one axis (or all): values, with gradient to the first extremal element. `name`
 * is the public op (max, argmax, ...) for error messages.
 */
function extremum(
  name: string,
  op: 'max' | 'min',
  x: Tensor,
  axis: number | undefined,
  keepDim: boolean,
) {
  const flat = axis === undefined || x.rank === 0;
  const ax = axis === undefined ? 0 : normalizeAxis(name, axis, x.rank);
  const shape = flat ? [x.size] : x.shape;
  const [outer, len, inner] = split3(shape, ax);
  if (len === 0) {
    throw new ShapeError(
      `${name}: cannot reduce dim ${axis ?? 'all'} of size 0 in a tensor of shape ${formatShape(x.shape)}`,
    );
  }
  const outShape = flat
    ? keepDim
      ? x.shape.map(() => 1)
      : []
    : reducedShape(x.shape, [ax], keepDim);
  const values = newTensor(outShape, x.dtype);
  const indices = newTensor(values.shape, 'int32');
  const xd = x.data;
  const better = op === 'max' ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let bestIdx = 0;
      let best = xd[o * len * inner + i];
      for (let l = 1; l < len && best === best; l++) {
        const v = xd[o * len * inner + l * inner + i];
        if (better(v, best) || v !== v) {
          best = v;
          bestIdx = l;
        }
      }
      values.data[o * inner + i] = best;
      indices.data[o * inner + i] = bestIdx;
    }
  }
  return { values, indices, outer, len, inner };
}

export function max(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return extremumOp('max', x, axis, options.keepDim ?? false);
}

export function min(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return extremumOp('min', x, axis, options.keepDim ?? false);
}

function extremumOp(
  op: 'max' | 'min',
  x: Tensor,
  axis: number | undefined,
  keepDim: boolean,
): Tensor {
  const { values, indices, len, inner } = extremum(op, op, x, axis, keepDim);
  return record(op, [x], values, (g) => {
    const dx = newTensor(x.shape, g.dtype);
    for (let j = 0; j < indices.size; j++) {
      const o = Math.floor(j / inner);
      const i = j % inner;
      dx.data[o * len * inner + indices.data[j] * inner + i] = g.data[j];
    }
    return [dx];
  });
}

/** Index of the (first) maximum along an axis, or of the flattened tensor; int32. */
export function argmax(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return extremum('argmax', 'max', x, axis, options.keepDim ?? false).indices;
}

export function argmin(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return extremum('argmin', 'min', x, axis, options.keepDim ?? false).indices;
}

/** log(sum(exp(x))) along an axis, stable (max subtracted). */
export function logsumexp(x: Tensor, axis: number, options: ReduceOptions = {}): Tensor {
  assertFloat('logsumexp', x);
  const ax = normalizeAxis('logsumexp', axis, x.rank);
  const [outer, len, inner] = split3(x.rank === 0 ? [1] : x.shape, ax);
  const keep = reducedShape(x.shape, [ax], true);
  const out = newTensor(reducedShape(x.shape, [ax], options.keepDim ?? false), x.dtype);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let m = -Infinity;
      for (let l = 0; l < len; l++) m = Math.max(m, xd[base + l * inner]);
      if (m === -Infinity || m === Infinity) {
        out.data[o * inner + i] = m;
        continue;
      }
      let s = 0;
      for (let l = 0; l < len; l++) s += Math.exp(xd[base + l * inner] - m);
      out.data[o * inner + i] = m + Math.log(s);
    }
  }
  return record('logsumexp', [x], out, (g) => {
    // d lse / dx = softmax(x) along the axis
    const lse = expandTo(withShape(out, keep), x.shape);
    const gg = expandTo(withShape(g, keep), x.shape);
    const dx = newTensor(x.shape, x.dtype);
    for (let j = 0; j < dx.size; j++) dx.data[j] = gg.data[j] * Math.exp(xd[j] - lse.data[j]);
    return [dx];
  });
}

/** Variance along axes; correction 1 is Bessel's (torch.var's default). */
export function variance(
  x: Tensor,
  axis?: Axis,
  options: ReduceOptions & { correction?: number } = {},
): Tensor {
  assertFloat('var', x);
  const axes = resolveAxes('var', axis, x.rank);
  let count = 1;
  for (const a of axes) count *= x.shape[a];
  const correction = options.correction ?? 1;
  const denom = Math.max(0, count - correction);
  const keep = reducedShape(x.shape, axes, true);
  const mu = sumRaw(x, axes);
  for (let i = 0; i < mu.size; i++) mu.data[i] /= count;
  const centered = newTensor(x.shape, x.dtype);
  const mi = broadcastOffsets(keep, x.shape);
  for (let i = 0; i < x.size; i++) centered.data[i] = x.data[i] - mu.data[mi[i]];
  const sq = newTensor(x.shape, x.dtype);
  for (let i = 0; i < x.size; i++) sq.data[i] = centered.data[i] * centered.data[i];
  const s = sumRaw(sq, axes);
  for (let i = 0; i < s.size; i++) s.data[i] /= denom;
  const out = withShape(s, reducedShape(x.shape, axes, options.keepDim ?? false));
  return record('var', [x], out, (g) => {
    const e = expandTo(withShape(g, keep), x.shape);
    for (let i = 0; i < e.size; i++) e.data[i] *= (2 * centered.data[i]) / denom;
    return [e];
  });
}
