import type { Storage } from './pool.js';

/**
 * Float32 storage carved out of a backend's wasm memory, so that its kernels read and write
 * tensors where they are instead of copying them into and out of the memory around every call
 * (Adam's state and gradients, op outputs from the memory pool). The memory never grows:
 * growing an unshared WebAssembly.Memory detaches every view of it, and these views are the
 * tensors' `.data`. So the backend reserves it at its full size up front (Linux backs pages only
 * once they are touched) and callers fall back to ordinary arrays when the arena is full.
 *
 * Regions never split or merge: a freed region goes on a free list for its exact size, as the
 * pool's buffers do, because a training step asks for the same sizes every time. A region is
 * freed when the array handed out for it is collected (FinalizationRegistry), or by give() for
 * the backend's temporaries. A raw subarray of an arena array must therefore not outlive every
 * reference to the array itself (a Tensor made on it keeps it, through its pool Storage).
 */

/** Regions start 64-byte aligned and keep 64 readable bytes after their end: the GEMM's edge
 * tiles read a few floats past operands that it uses in place (assembly/gemm.ts). */
const ALIGN = 64;
const SLACK = 64;
const ARENA = Symbol('osmosis.arena');
type Marked = ArrayBufferLike & { [ARENA]?: Arena };

export class Arena {
  private top: number;
  /** Free region starts by region size in bytes. */
  private readonly free = new Map<number, number[]>();
  /** Every region ever carved, in increasing start order, and its size and pool owner. */
  private readonly starts: number[] = [];
  private readonly sizes: number[] = [];
  /** Pool storages by region start: the pool gives their regions back itself (see own()). */
  private readonly owners = new Map<number, Storage>();
  private readonly index = new Map<number, number>();
  private readonly finalizer = new FinalizationRegistry<number>((start) => this.give(start));
  private usedBytes = 0;

  /** The arena is bytes [start, end) of buffer (which must never be resized or detached). */
  constructor(
    readonly buffer: ArrayBuffer,
    start: number,
    private readonly end: number,
  ) {
    this.top = Math.ceil(start / ALIGN) * ALIGN;
    (buffer as Marked)[ARENA] = this;
  }

  /** Bytes in regions handed out and not yet freed (a gauge for tests and benchmarks). */
  get bytesInUse(): number {
    return this.usedBytes;
  }

  /**
   * A float32 array of `floats` elements in the arena, zero-filled when `zero`, or null when no
   * region fits. Its region is freed once the array is collected.
   */
  array(floats: number, zero: boolean): Float32Array | null {
    const start = this.take(floats * 4, zero);
    if (start < 0) return null;
    const a = new Float32Array(this.buffer, start, floats);
    this.finalizer.register(a, start);
    return a;
  }

  /**
   * Reserves a region of at least `bytes` bytes; returns its start or -1 when none fits. The
   * caller frees it with give() (the backend's operands too large for its scratch area).
   */
  take(bytes: number, zero = false): number {
    const size = Math.ceil((bytes + SLACK) / ALIGN) * ALIGN;
    const list = this.free.get(size);
    let start = list?.pop();
    if (start !== undefined) {
      if (zero) new Uint8Array(this.buffer, start, bytes).fill(0);
    } else {
      if (this.top + size > this.end) return -1;
      start = this.top; // fresh pages of a never-written memory are zero
      this.top += size;
      this.index.set(start, this.starts.length);
      this.starts.push(start);
      this.sizes.push(size);
    }
    this.usedBytes += size;
    return start;
  }

  /** Frees the region at `start` (from take()). */
  give(start: number): void {
    const i = this.index.get(start)!;
    const size = this.sizes[i];
    this.owners.delete(start);
    this.usedBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(start);
  }

  /**
   * A float32 array for the memory pool's Storage `s` (made by `make`), or null when no region
   * fits. Not freed by the collector: the pool gives the region back with give() when it drops
   * the storage, so that a lookup of the storage (ownerOf) needs no weak reference.
   */
  own(floats: number, zero: boolean, make: (array: Float32Array) => Storage): Float32Array | null {
    const start = this.take(floats * 4, zero);
    if (start < 0) return null;
    const array = new Float32Array(this.buffer, start, floats);
    this.owners.set(start, make(array));
    return array;
  }

  /** The pool Storage whose region holds data (a whole array or a view into one), or null. */
  ownerOf(data: ArrayBufferView): Storage | null {
    const at = data.byteOffset;
    const whole = this.owners.get(at);
    if (whole) return whole;
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    if (hi < 0 || this.starts[lo] > at) return null;
    return this.owners.get(this.starts[lo]) ?? null;
  }
}

/** The arena of the buffer under data, if that buffer is a backend's wasm memory. */
export function arenaOf(data: ArrayBufferView): Arena | null {
  return (data.buffer as Marked)[ARENA] ?? null;
}

/** The active float32 backend's arena (set by setBackend), where new storage goes first. */
let active: Arena | null = null;

export function setActiveArena(arena: Arena | null): void {
  active = arena;
}

export function activeArena(): Arena | null {
  return active;
}

/**
 * A zero-filled float32 array for long-lived storage that kernels update (optimizer state,
 * parameter gradients): in the active backend's arena when it fits, else an ordinary array.
 */
export function residentFloat32(length: number): Float32Array {
  return active?.array(length, true) ?? new Float32Array(length);
}
