import { BackendError } from '../../errors.js';
import type { WasmMemory } from './wasm-api.js';

export const PAGE_BYTES = 65536;
/** The wasm32 limit (4 GiB); also the maximum the module was compiled with. */
export const MAX_PAGES = 65536;
const ALIGN = 64;
/** Growth rounds up to 4 MiB so a slowly growing workload does not grow on every call. */
const GROW_PAGES = 64;

export function alignUp(bytes: number, align = ALIGN): number {
  return Math.ceil(bytes / align) * align;
}

/** A block of resident memory: byte offset and length (a multiple of 64). */
interface Block {
  offset: number;
  bytes: number;
}

/**
 * The wasm memory seen from JS. Above the fixed regions (control block, per-thread GEMM scratch)
 * lie resident arrays, then an operand arena: every kernel call resets the arena and
 * bump-allocates its operands, and it grows the memory when a call needs more. It never shrinks,
 * so after the first steps of a training loop no call allocates or grows anything.
 *
 * A resident array (resident()) is a Float32Array view of the wasm memory itself: kernels use it
 * where it lies instead of copying it in and out, so long-lived arrays that only kernels touch
 * (Adam's moments) cost no copies. Its block goes back to a free list when the view is garbage
 * collected; a subarray of it must not outlive it.
 */
export class WasmHeap {
  private f32: Float32Array;
  private top: number;
  private arenaBase: number;
  /** Every SharedArrayBuffer this memory has had (one per growth): views on them are resident. */
  private readonly buffers = new Set<SharedArrayBuffer>();
  /** Freed resident blocks by byte length (lengths repeat: the same model's parameters). */
  private readonly freeBlocks = new Map<number, number[]>();
  private readonly finalizer = new FinalizationRegistry<Block>(({ offset, bytes }) => {
    let list = this.freeBlocks.get(bytes);
    if (!list) this.freeBlocks.set(bytes, (list = []));
    list.push(offset);
  });

  constructor(
    readonly memory: WasmMemory,
    arenaBase: number,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.buffers.add(memory.buffer);
    this.arenaBase = arenaBase;
    this.top = arenaBase;
  }

  /**
   * A zero-filled resident array of `floats` elements. Call it between kernel calls only: a new
   * block moves the arena up, over the previous call's operands.
   */
  resident(floats: number, op: string): Float32Array {
    const bytes = Math.max(ALIGN, alignUp(floats * 4));
    let offset = this.freeBlocks.get(bytes)?.pop();
    if (offset === undefined) {
      offset = this.arenaBase;
      if (offset + bytes > this.f32.byteLength) this.grow(offset + bytes, op);
      this.arenaBase = offset + bytes;
      this.top = this.arenaBase;
    }
    const view = new Float32Array(this.memory.buffer, offset, floats);
    view.fill(0);
    this.finalizer.register(view, { offset, bytes });
    return view;
  }

  /** The byte offset of x when it is a view of this memory, else -1. */
  offsetOf(x: Float32Array): number {
    const b = x.buffer;
    return b instanceof SharedArrayBuffer && this.buffers.has(b) ? x.byteOffset : -1;
  }

  /** Frees every operand of the previous call. */
  reset(): void {
    this.top = this.arenaBase;
  }

  /** Reserves room for `floats` float32 values; returns its byte offset (64-byte aligned). */
  alloc(floats: number, op: string): number {
    const offset = this.top;
    const end = offset + floats * 4;
    if (end > this.f32.byteLength) this.grow(end, op);
    this.top = alignUp(end);
    return offset;
  }

  /** The byte offset of src[0..floats): where it lies when resident, else of a copy in the arena. */
  put(src: Float32Array, floats: number, op: string): number {
    const at = this.offsetOf(src);
    return at >= 0 ? at : this.copy(src, floats, op);
  }

  /** Copies src[0..floats) into the arena, resident or not; returns the copy's byte offset. */
  copy(src: Float32Array, floats: number, op: string): number {
    const offset = this.alloc(floats, op);
    this.f32.set(floats === src.length ? src : src.subarray(0, floats), offset >>> 2);
    return offset;
  }

  /**
   * Where a kernel writes dst[0..floats): dst itself when resident, else `scratch` when that is
   * an arena copy the kernel may overwrite (-1: none), else fresh arena room. read() then
   * delivers the result to dst.
   */
  output(dst: Float32Array, floats: number, op: string, scratch = -1): number {
    const at = this.offsetOf(dst);
    if (at >= 0) return at;
    return scratch >= this.arenaBase ? scratch : this.alloc(floats, op);
  }

  /** Copies floats values at byte offset back into dst[0..floats), unless dst lies there. */
  read(offset: number, dst: Float32Array, floats: number): void {
    if (this.offsetOf(dst) === offset) return;
    const start = offset >>> 2;
    dst.set(this.f32.subarray(start, start + floats));
  }

  private grow(end: number, op: string): void {
    const have = this.memory.buffer.byteLength / PAGE_BYTES;
    const need = Math.ceil(end / PAGE_BYTES);
    const want = Math.min(MAX_PAGES, Math.ceil(need / GROW_PAGES) * GROW_PAGES);
    if (need > MAX_PAGES) {
      throw new BackendError(
        `${op}: operands need ${end} bytes of wasm memory, more than the 4 GiB wasm32 limit; ` +
          `split the call or use the js backend`,
      );
    }
    try {
      this.memory.grow(want - have);
    } catch (cause) {
      throw new BackendError(`${op}: could not grow wasm memory to ${want * PAGE_BYTES} bytes`, {
        cause,
      });
    }
    // A shared memory keeps its old buffer valid but sized as before: take a new view.
    this.f32 = new Float32Array(this.memory.buffer);
    this.buffers.add(this.memory.buffer);
  }
}
