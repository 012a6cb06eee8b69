import { BackendError } from '../../errors.js';
import type { Arena } from '../../memory/arena.js';
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

/**
 * The wasm memory seen from JS. Above the fixed regions (control block, per-thread GEMM scratch)
 * lies an operand scratch area: every kernel call resets it and bump-allocates the operands it
 * copies in. On a memory that grows (the shared one), the scratch area grows when a call needs
 * more; it never shrinks, so after the first steps of a training loop no call allocates or grows
 * anything. A memory with a resident arena (tensor storage, core/memory/arena.ts) must never grow:
 * its scratch area is fixed, and a call that needs more borrows regions from the arena.
 *
 * Operands that already live in this memory (resident: the same ArrayBuffer) are used in place.
 */
export class WasmHeap {
  private f32: Float32Array;
  private i32: Int32Array;
  private top: number;
  /** Arena regions lent to the current call (returned by reset). */
  private readonly borrowed: number[] = [];

  constructor(
    readonly memory: WasmMemory,
    readonly arenaBase: number,
    private readonly arena: Arena | null = null,
    /** End of the scratch area when the memory has an arena (it cannot grow). */
    private readonly scratchEnd = 0,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.top = arenaBase;
  }

  /** Writes int32 v at byte offset (a control block slot). */
  setI32(offset: number, v: number): void {
    this.i32[offset >>> 2] = v;
  }

  /** Writes float32 v at byte offset. */
  setF32(offset: number, v: number): void {
    this.f32[offset >>> 2] = v;
  }

  /** Frees every operand of the previous call. */
  reset(): void {
    this.top = this.arenaBase;
    if (this.borrowed.length > 0) {
      for (const start of this.borrowed) this.arena!.give(start);
      this.borrowed.length = 0;
    }
  }

  /** x's byte offset when it lives in this memory, else -1. */
  offsetOf(x: Float32Array): number {
    // byteOffset 0 first: it rules out small arrays on V8's heap, whose .buffer would move them
    // off it, and nothing resident starts at 0 (the module's static data does).
    const at = x.byteOffset;
    return at !== 0 && x.buffer === this.f32.buffer ? at : -1;
  }

  /**
   * The byte offset of an operand a kernel reads (and may update in place): x itself when
   * resident, else a copy of x[0..floats) at byte offset `at` (>= 0) or in a fresh slot.
   */
  input(x: Float32Array, floats: number, op: string, at = -1): number {
    const own = this.offsetOf(x);
    if (own >= 0) return own;
    const offset = at >= 0 ? at : this.alloc(floats, op);
    this.f32.set(floats === x.length ? x : x.subarray(0, floats), offset >>> 2);
    return offset;
  }

  /** Where a kernel writes dst: dst itself when resident, else `fallback` (>= 0) or a fresh slot. */
  output(dst: Float32Array, floats: number, op: string, fallback = -1): number {
    const own = this.offsetOf(dst);
    if (own >= 0) return own;
    return fallback >= 0 ? fallback : this.alloc(floats, op);
  }

  /** Copies a kernel's result at byte offset into dst, unless it was written there in place. */
  writeBack(offset: number, dst: Float32Array, floats: number): void {
    if (offset !== this.offsetOf(dst)) this.read(offset, dst, floats);
  }

  /** Reserves room for `floats` float32 values; returns its byte offset (64-byte aligned). */
  alloc(floats: number, op: string): number {
    const offset = this.top;
    const end = offset + floats * 4;
    // ALIGN more bytes stay readable: the GEMM's edge tiles read a few floats past small operands
    // that it uses in place (assembly/gemm.ts).
    if (this.arena) {
      if (end + ALIGN > this.scratchEnd) return this.borrow(floats, op);
    } else if (end + ALIGN > this.f32.byteLength) this.grow(end + ALIGN, op);
    this.top = alignUp(end);
    return offset;
  }

  private borrow(floats: number, op: string): number {
    const start = this.arena!.take(floats * 4);
    if (start < 0) {
      throw new BackendError(
        `${op}: operands need ${floats * 4} more bytes of wasm memory than are free in its ` +
          `${this.memory.buffer.byteLength} bytes; pass a larger reserveBytes to createWasmBackend`,
      );
    }
    this.borrowed.push(start);
    return start;
  }

  /** Copies src[0..floats) into the arena; returns its byte offset. */
  put(src: Float32Array, floats: number, op: string): number {
    const offset = this.alloc(floats, op);
    this.f32.set(floats === src.length ? src : src.subarray(0, floats), offset >>> 2);
    return offset;
  }

  /** Copies floats values at byte offset back into dst[0..floats). */
  read(offset: number, dst: Float32Array, floats: number): void {
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
    // A shared memory keeps its old buffer valid but sized as before, and an unshared one detaches
    // it: either way, new views. (Nothing else may hold a view across a call that allocates.)
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }
}
