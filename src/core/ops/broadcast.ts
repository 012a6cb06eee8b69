import type { TypedArray } from '../dtype.js';
import { stridesOf, type Shape } from '../shape.js';

/**
 * Element offsets into an operand of `shape` for every element of the broadcast output
 * `outShape`, in output order. Broadcast dims get stride 0. Cached per shape pair: training loops
 * repeat the same shapes every step.
 */
const cache = new Map<string, Int32Array>();

export function broadcastOffsets(shape: Shape, outShape: Shape): Int32Array {
  const key = `${shape.join(',')}|${outShape.join(',')}`;
  let offsets = cache.get(key);
  if (offsets) return offsets;
  const n = outShape.length;
  const own = stridesOf(shape);
  const strides = new Array<number>(n).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const oi = n - shape.length + i;
    strides[oi] = shape[i] === 1 ? 0 : own[i];
  }
  let size = 1;
  for (const d of outShape) size *= d;
  offsets = new Int32Array(size);
  const idx = new Array<number>(n).fill(0);
  let off = 0;
  for (let i = 0; i < size; i++) {
    offsets[i] = off;
    for (let d = n - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < outShape[d]) break;
      off -= strides[d] * outShape[d];
      idx[d] = 0;
    }
  }
  if (cache.size > 512) cache.clear();
  cache.set(key, offsets);
  return offsets;
}

type BinaryKernel = (
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  ai: Int32Array | null,
  bi: Int32Array | null,
) => void;

/**
 * Build a specialised loop for an elementwise expression of `a` and `b` (e.g. 'a + b'). Generated
 * once per op so V8 compiles a tight monomorphic loop instead of calling a closure per element.
 * An offset table of null means the operand is either full-size (same shape as the output) or a
 * single element; otherwise it maps each output element to the operand's element.
 */
export function makeBinaryKernel(expr: string): BinaryKernel {
  const body = `
    const n = out.length;
    if (ai === null && bi === null) {
      if (A.length === n && B.length === n) {
        for (let i = 0; i < n; i++) { const a = A[i], b = B[i]; out[i] = ${expr}; }
      } else if (A.length === n) {
        const b = B[0]; for (let i = 0; i < n; i++) { const a = A[i]; out[i] = ${expr}; }
      } else {
        const a = A[0]; for (let i = 0; i < n; i++) { const b = B[i]; out[i] = ${expr}; }
      }
    } else if (ai === null) {
      if (A.length === n) for (let i = 0; i < n; i++) { const a = A[i], b = B[bi[i]]; out[i] = ${expr}; }
      else { const a = A[0]; for (let i = 0; i < n; i++) { const b = B[bi[i]]; out[i] = ${expr}; } }
    } else if (bi === null) {
      if (B.length === n) for (let i = 0; i < n; i++) { const a = A[ai[i]], b = B[i]; out[i] = ${expr}; }
      else { const b = B[0]; for (let i = 0; i < n; i++) { const a = A[ai[i]]; out[i] = ${expr}; } }
    } else {
      for (let i = 0; i < n; i++) { const a = A[ai[i]], b = B[bi[i]]; out[i] = ${expr}; }
    }`;
  return new Function('A', 'B', 'out', 'ai', 'bi', body) as BinaryKernel;
}

type UnaryKernel = (x: TypedArray, out: TypedArray, p: number, q: number) => void;

/** A specialised elementwise loop over `x` with up to two scalar parameters p and q. */
export function makeUnaryKernel(expr: string): UnaryKernel {
  const body = `const n = out.length; for (let i = 0; i < n; i++) { const x = X[i]; out[i] = ${expr}; }`;
  return new Function('X', 'out', 'p', 'q', body) as UnaryKernel;
}
