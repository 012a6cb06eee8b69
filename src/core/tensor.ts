import { allocate, dtypeOf, isFloat, type DType, type TypedArray } from './dtype.js';
import { DTypeError, ShapeError, ValueError } from './errors.js';
import { formatShape, sizeOf, stridesOf, type Shape } from './shape.js';
import type { GradNode } from './autograd.js';
import { ReleasedTensorError, storageOf, type Storage } from './memory/pool.js';

/**
 * An n-dimensional array in row-major order, optionally part of an autograd graph.
 *
 * Storage is always contiguous: `data` holds exactly `size` elements. Views that cost nothing
 * (reshape, squeeze, a slice of leading rows) share the underlying buffer through typed-array
 * subarrays; other layout changes (transpose, permute) copy. Keeping one layout keeps every
 * kernel simple and fast.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  #data: TypedArray;
  /** The pool's record of the buffer under #data (null when not pooled) and its generation then. */
  #storage: Storage | null;
  #gen: number;
  /** Whether gradients flow to this tensor. Leaves with requiresGrad receive `.grad`. */
  requiresGrad: boolean;
  /** Accumulated gradient (leaves, and non-leaves that called retainGrad()). */
  grad: Tensor | null = null;
  /** The op that produced this tensor; null for leaves. */
  gradFn: GradNode | null = null;
  /** Non-leaf tensors keep their gradient only when asked (as torch's retain_grad). */
  retainsGrad = false;

  constructor(data: TypedArray, shape: Shape, requiresGrad = false) {
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new ShapeError(
        `Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${size}`,
      );
    }
    this.#data = data;
    const s = storageOf(data);
    this.#storage = s;
    this.#gen = s?.gen ?? 0;
    if (s?.tensors) s.tensors.push(this);
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    if (requiresGrad && !isFloat(this.dtype)) {
      throw new DTypeError(
        `Tensor: only floating tensors can require gradients, got ${this.dtype}`,
      );
    }
    this.requiresGrad = requiresGrad;
  }

  /** The elements, row-major; throws once the storage went back to the memory pool. */
  get data(): TypedArray {
    if (this.#storage !== null && this.#storage.gen !== this.#gen) this.throwReleased();
    return this.#data;
  }

  /**
   * Re-points this tensor at the same elements of `to` (memory/pool.ts relocate(), when its
   * storage leaves the wasm arena). Engine-internal.
   */
  relocate(to: Storage, from: Storage): void {
    if (this.#storage !== from || this.#gen !== from.gen) return; // made on an earlier owner
    const d = this.#data;
    const start = (d.byteOffset - from.array.byteOffset) / d.BYTES_PER_ELEMENT;
    this.#data =
      start === 0 && d.length === to.array.length
        ? to.array
        : to.array.subarray(start, start + d.length);
    this.#storage = to;
    this.#gen = to.gen;
  }

  get size(): number {
    return this.#data.length;
  }

  /** Whether this tensor's storage went back to the memory pool (see core/memory/scope.ts). */
  get released(): boolean {
    return this.#storage !== null && this.#storage.gen !== this.#gen;
  }

  private throwReleased(): never {
    throw new ReleasedTensorError(
      `${this}: its storage was released to the memory pool (the memoryScope that created it ` +
        'has ended, or backward consumed it); return it from the scope or keep() it to use it later',
    );
  }

  get rank(): number {
    return this.shape.length;
  }

  get strides(): number[] {
    return stridesOf(this.shape);
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(
        `item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`,
      );
    }
    return this.data[0];
  }

  /** A nested JS array copy of the values. */
  toArray(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(dim + 1));
      const out = new Array(this.shape[dim]);
      for (let i = 0; i < this.shape[dim]; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /** Mark this leaf as requiring (or not) gradients; returns this for chaining. */
  requiresGrad_(value = true): this {
    if (value && !isFloat(this.dtype)) {
      throw new DTypeError(
        `requiresGrad_: only floating tensors can require gradients, got ${this.dtype}`,
      );
    }
    if (!value && this.gradFn) {
      throw new ValueError(
        'requiresGrad_(false): only leaf tensors can stop requiring gradients; use detach()',
      );
    }
    this.requiresGrad = value;
    return this;
  }

  /** Keep `.grad` on this non-leaf after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's data, outside any graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** An independent copy of the data (no graph). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  zeroGrad(): void {
    this.grad = null;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** A fresh zero-filled tensor of the given shape and dtype. */
export function empty(shape: Shape, dtype: DType = 'float32'): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}
