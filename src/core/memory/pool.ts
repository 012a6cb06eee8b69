import { allocate, type DType, type TypedArray } from '../dtype.js';
import { OsmosisError, ValueError } from '../errors.js';
import { activeArena, arenaOf } from './arena.js';

/**
 * Reuse of tensor storage between training steps. A step of a fixed model allocates the same
 * sizes every time, and a fresh multi-megabyte typed array costs far more than its data: the
 * kernel that first writes it takes a page fault per 4 KiB, and the collector later frees it. A
 * released buffer goes on a free list for its exact (dtype, length): shapes repeat exactly from
 * step to step, so rounding lengths up to classes would only waste memory and force views.
 *
 * Only ops' outputs are pooled (newTensor), and only the engine decides when one is dead: at the
 * end of a memoryScope (scope.ts), or in backward once a gradient has been consumed. Each
 * pooled buffer carries a generation that changes whenever it changes hands; a Tensor remembers
 * the generation it was made with, so reading a released tensor throws instead of seeing another
 * tensor's values.
 */

/** Arrays shorter than this are left to V8's young generation, which allocates them cheaply. */
export const MIN_POOLED_ELEMENTS = 1024;
/**
 * Pooled float32 buffers at least this long go to the wasm arena inside a scope. Below it a
 * copy costs about what the arena's bookkeeping does: mlp-step (64 x 64 activations) gained
 * nothing from resident outputs and the blas one measured 3-6% slower in CPU time; gpt-step's
 * activations are 256K floats and more.
 */
const MIN_RESIDENT_ELEMENTS = 16384;

export interface Storage {
  readonly array: TypedArray;
  /** Bumped on every acquire and release. */
  gen: number;
  free: boolean;
  /** The pool's acquisition count when this buffer was last handed out (see acquisitions()). */
  serial: number;
  /**
   * For a buffer in a backend's arena (core/memory/arena.ts): the tensors made on it since it was
   * acquired, so that relocate() can move them to an ordinary buffer. Null otherwise.
   */
  tensors: Relocatable[] | null;
}

/** A tensor as relocate() sees it: it re-points its data at the same elements of a new buffer. */
export interface Relocatable {
  relocate(to: Storage, from: Storage): void;
}

export interface PoolStats {
  /** Buffers the pool had to allocate (no free buffer of that dtype and length). */
  freshAllocations: number;
  freshBytes: number;
  /** Buffers handed out again from a free list. */
  reused: number;
  released: number;
  /** Bytes waiting on free lists now. */
  freeBytes: number;
}

/** Thrown when a tensor whose storage went back to the pool is read. */
export class ReleasedTensorError extends OsmosisError {}

/**
 * Each pooled ArrayBuffer carries its Storage under this key. A WeakMap from buffer to storage
 * would do the same, but every buffer it holds becomes an ephemeron the collector must trace:
 * code that runs without a scope (and so allocates a fresh buffer per op) took 250 us per
 * mlp-step instead of 145 us with it. A property costs one store and dies with the buffer.
 */
const STORAGE = Symbol('osmosis.storage');
type Marked = ArrayBufferLike & { [STORAGE]?: Storage };
const freeLists = new Map<DType, Map<number, Storage[]>>();
const stats: PoolStats = {
  freshAllocations: 0,
  freshBytes: 0,
  reused: 0,
  released: 0,
  freeBytes: 0,
};
/** Free buffers beyond this are dropped (left to the collector) rather than kept. */
let maxFreeBytes = 2 ** 31;
/** Called with each acquired storage (scope.ts records them for release). */
let onAcquire: ((s: Storage) => void) | null = null;
let acquireCount = 0;

export function setAcquireHook(hook: ((s: Storage) => void) | null): void {
  onAcquire = hook;
}

/** How many buffers the pool has handed out so far: storages with a larger serial are newer. */
export function acquisitions(): number {
  return acquireCount;
}

/** A storage of `size` elements from the free lists or fresh; zero-filled when `zero`. */
export function acquire(dtype: DType, size: number, zero: boolean): TypedArray {
  if (size < MIN_POOLED_ELEMENTS) return allocate(dtype, size);
  const list = freeLists.get(dtype)?.get(size);
  let s = list?.pop();
  if (s) {
    stats.reused++;
    stats.freeBytes -= s.array.byteLength;
    if (zero) s.array.fill(0);
  } else {
    // Inside a memoryScope (the hook is set), float32 outputs go to the backend's arena when it
    // has room: its kernels then use them in place. The arena zero-fills only when asked, like a
    // reused buffer. Outside a scope nothing says when a buffer dies, so it stays ordinary.
    const arena =
      dtype === 'float32' && onAcquire !== null && size >= MIN_RESIDENT_ELEMENTS
        ? activeArena()
        : null;
    let made: Storage | null = null;
    arena?.own(
      size,
      zero,
      (array) => (made = { array, gen: 0, free: false, serial: 0, tensors: [] }),
    );
    if (made === null) {
      const array = allocate(dtype, size);
      made = { array, gen: 0, free: false, serial: 0, tensors: null };
      (array.buffer as Marked)[STORAGE] = made;
    }
    s = made as Storage;
    stats.freshAllocations++;
    stats.freshBytes += s.array.byteLength;
  }
  s.free = false;
  s.gen++;
  s.serial = ++acquireCount;
  onAcquire?.(s);
  return s.array;
}

/** The pool's record of the buffer under `data`, or null for storage it did not allocate. */
export function storageOf(data: TypedArray): Storage | null {
  // Arrays of <= 64 bytes at offset 0 may live on V8's heap, where reading .buffer would move
  // them off it; no pooled buffer is that small, only a tiny view of one's first elements.
  if (data.byteLength <= 64 && data.byteOffset === 0) return null;
  const buffer = data.buffer as Marked;
  return buffer[STORAGE] ?? arenaOf(data)?.ownerOf(data) ?? null;
}

/** Puts a storage back on its free list; every tensor made on it is invalid from now on. */
export function release(s: Storage): void {
  if (s.free) throw new ValueError('memory pool: a buffer was released twice');
  s.free = true;
  s.gen++;
  stats.released++;
  if (s.tensors) s.tensors.length = 0;
  const bytes = s.array.byteLength;
  if (stats.freeBytes + bytes > maxFreeBytes) return drop(s);
  const dtype = dtypeKey(s.array);
  let bySize = freeLists.get(dtype);
  if (!bySize) freeLists.set(dtype, (bySize = new Map()));
  let list = bySize.get(s.array.length);
  if (!list) bySize.set(s.array.length, (list = []));
  list.push(s);
  stats.freeBytes += bytes;
}

/**
 * Moves the tensors made on an arena buffer that leaves every memoryScope (returned from the
 * outermost one, or keep()) to an ordinary buffer, then releases the arena buffer. Escaped
 * storage must be ordinary: a view of the wasm memory that reaches postMessage or structuredClone
 * would copy the whole memory (gigabytes), and the arena's space is for the step's working set.
 */
export function relocate(s: Storage): void {
  const array = allocate(dtypeKey(s.array), s.array.length);
  array.set(s.array);
  const moved: Storage = { array, gen: 1, free: false, serial: s.serial, tensors: null };
  (array.buffer as Marked)[STORAGE] = moved;
  stats.freshAllocations++;
  stats.freshBytes += array.byteLength;
  for (const t of s.tensors!) t.relocate(moved, s);
  release(s);
}

/** Forgets a free storage: the collector reclaims an ordinary buffer, the arena its region. */
function drop(s: Storage): void {
  if (s.tensors) arenaOf(s.array)!.give(s.array.byteOffset);
}

function dtypeKey(a: TypedArray): DType {
  return a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'int32';
}

/** A snapshot of the pool's counters (cumulative since start or the last resetPoolStats). */
export function poolStats(): PoolStats {
  return { ...stats };
}

export function resetPoolStats(): void {
  stats.freshAllocations = 0;
  stats.freshBytes = 0;
  stats.reused = 0;
  stats.released = 0;
}

/**
 * Drops every free buffer (the collector reclaims them) and sets the most bytes the free lists
 * may hold from now on (default 2 GiB).
 */
export function trimPool(maxBytes = maxFreeBytes): void {
  if (!(maxBytes >= 0)) throw new ValueError(`trimPool: maxBytes must be >= 0, got ${maxBytes}`);
  for (const bySize of freeLists.values()) for (const list of bySize.values()) list.forEach(drop);
  freeLists.clear();
  stats.freeBytes = 0;
  maxFreeBytes = maxBytes;
}
