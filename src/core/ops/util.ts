import { isFloat, type DType } from '../dtype.js';
import { acquire } from '../memory/pool.js';
import { DTypeError } from '../errors.js';
import type { Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

export function assertFloat(op: string, t: Tensor, arg = 'input'): void {
  if (!isFloat(t.dtype)) {
    throw new DTypeError(`${op}: argument '${arg}' must be float32 or float64, got ${t.dtype}`);
  }
}

export function assertInt(op: string, t: Tensor, arg = 'index'): void {
  if (t.dtype !== 'int32') {
    throw new DTypeError(`${op}: argument '${arg}' must be int32, got ${t.dtype}`);
  }
}

/** Two operands must share a dtype: no silent promotion. */
export function assertSameDtype(op: string, a: Tensor, b: Tensor): DType {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${op}: dtypes differ (${a.dtype} vs ${b.dtype}); convert one with .to()`);
  }
  return a.dtype;
}

/** A zero-filled op output (its storage may be a reused pool buffer: see core/memory/pool.ts). */
export function newTensor(shape: Shape, dtype: DType): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(acquire(dtype, size, true), shape);
}

/** An op output whose every element the op writes itself: skips newTensor's zero fill. */
export function outputTensor(shape: Shape, dtype: DType): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(acquire(dtype, size, false), shape);
}

export function scalarLike(value: number, like: Tensor): Tensor {
  const t = newTensor([], like.dtype);
  t.data[0] = value;
  return t;
}
