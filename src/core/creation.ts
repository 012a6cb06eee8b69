import { allocate, type DType, type TypedArray } from './dtype.js';
import { ShapeError, ValueError } from './errors.js';
import type { Generator } from './rng.js';
import { checkShape, formatShape, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

type Nested = number | readonly Nested[];

/** A tensor from nested arrays, a flat array with a shape, or a typed array with a shape. */
export function tensor(
  values: Nested | TypedArray | readonly number[],
  shape?: Shape,
  options: TensorOptions = {},
): Tensor {
  const dtype =
    options.dtype ??
    (values instanceof Int32Array
      ? 'int32'
      : values instanceof Float64Array
        ? 'float64'
        : 'float32');
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    inferred = [flat.length];
  } else if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else {
    inferred = inferShape(values as readonly Nested[]);
    flat = (values as unknown[]).flat(Infinity as 1) as number[];
  }
  const finalShape = shape ?? inferred;
  checkShape('tensor', finalShape);
  if (sizeOf(finalShape) !== flat.length) {
    throw new ShapeError(
      `tensor: ${flat.length} values do not fill shape ${formatShape(finalShape)}`,
    );
  }
  const data = allocate(dtype, flat.length);
  data.set(flat as ArrayLike<number>);
  return new Tensor(data, finalShape, options.requiresGrad ?? false);
}

function inferShape(values: readonly Nested[]): number[] {
  const shape: number[] = [values.length];
  let cur: Nested = values;
  while (Array.isArray(cur) && cur.length > 0 && Array.isArray(cur[0])) {
    cur = cur[0] as readonly Nested[];
    shape.push(cur.length);
  }
  // Ragged nesting would silently misalign values: check every level.
  const check = (v: Nested, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw new ShapeError('tensor: ragged nested array (mixed depths)');
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(
        `tensor: ragged nested array at depth ${depth} (expected length ${shape[depth]})`,
      );
    }
    for (const c of v as readonly Nested[]) check(c, depth + 1);
  };
  check(values, 0);
  return shape;
}

export function full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  data.fill(value);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export function zeros(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype });
}

/** start, start+step, ... below end (torch.arange). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0) throw new ValueError('arange: step must be non-zero');
  if (![lo, hi, step].every(Number.isFinite)) {
    throw new ValueError(`arange: start, end and step must be finite, got ${lo}, ${hi}, ${step}`);
  }
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const data = allocate(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) data[i] = lo + i * step;
  return new Tensor(data, [n], options.requiresGrad ?? false);
}

/** Standard normal samples (or N(mean, std)) from an explicit generator. */
export function randn(
  shape: Shape,
  rng: Generator,
  options: TensorOptions & { mean?: number; std?: number } = {},
): Tensor {
  checkShape('randn', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal(options.mean ?? 0, options.std ?? 1);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** Uniform samples in [low, high) from an explicit generator. */
export function rand(
  shape: Shape,
  rng: Generator,
  options: TensorOptions & { low?: number; high?: number } = {},
): Tensor {
  checkShape('rand', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++)
    data[i] = rng.uniformRange(options.low ?? 0, options.high ?? 1);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** A copy in another dtype (no graph: dtype changes are for data, not for training). */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const data = allocate(dtype, t.size);
  if (dtype === 'int32') for (let i = 0; i < t.size; i++) data[i] = Math.trunc(t.data[i]);
  else data.set(t.data);
  return new Tensor(data, t.shape);
}
