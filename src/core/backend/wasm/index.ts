import { availableParallelism } from 'node:os';
import { BackendError, ValueError } from '../../errors.js';
import { Arena } from '../../memory/arena.js';
import type { Backend } from '../backend.js';
import { type KernelExports, type KernelInstance, WasmKernels } from './backend.js';
import { alignUp, MAX_PAGES, PAGE_BYTES, WasmHeap } from './heap.js';
import { relaxedSimdAvailable } from './features.js';
import { CTL_BYTES } from './layout.js';
import { kernelsPath, packageRoot, readKernels, workerPath } from './locate.js';
import { WorkerPool } from './pool.js';
import { type WasmMemory, type WasmModule, wasmApi } from './wasm-api.js';

export { benchGemm, type GemmBenchResult } from './bench-gemm.js';

export interface WasmBackendOptions {
  /** Threads for GEMM, the main thread included. Default: available cores, at most 8. */
  threads?: number;
  /**
   * Which build of the kernels: 'relaxed' (relaxed SIMD: the GEMM uses fused multiply-add),
   * 'baseline' (SIMD without it) or 'auto' (relaxed when the engine supports it). Default: the
   * OSMOSIS_WASM_SIMD environment variable, else 'auto' (the variable lets a CLI run or a bench
   * reproduce the baseline build). Asking for 'relaxed' where it is unsupported is a
   * BackendError.
   */
  simd?: WasmSimd;
  /**
   * Bytes of the calling thread's wasm memory, reserved up front: tensor storage that kernels
   * use in place, and operands copied in for one call. It never grows (that would detach the
   * tensors' views of it), and Linux backs only the pages that are touched. Default 2 GiB (less
   * if the system refuses that much address space), at most 4 GiB (wasm32).
   */
  reserveBytes?: number;
}

export const WASM_SIMD = ['auto', 'relaxed', 'baseline'] as const;
export type WasmSimd = (typeof WASM_SIMD)[number];

export type WasmBackend = Backend & {
  /** The build of the kernels in use. */
  readonly simd: 'relaxed' | 'baseline';
  /** Stops the worker threads; any later call throws a BackendError. */
  dispose(): void;
};

const MAX_DEFAULT_THREADS = 8;
/** The shared memory's operand area reserved up front (grown on demand): 512^2 GEMMs fit. */
const INITIAL_ARENA_BYTES = 4 << 20;
const DEFAULT_RESERVE_BYTES = 2 ** 31;
/** The calling thread's memory below its resident arena, for operands copied in for one call. */
const SCRATCH_BYTES = 64 << 20;

/**
 * The default float32 backend: AssemblyScript SIMD kernels (build/kernels*.wasm). Calls that run
 * on the calling thread use an instance on an unshared memory (fast copies in and out); with
 * threads > 1, large GEMMs run on a second instance whose shared memory the worker threads
 * see. Float64 calls go to the js backend.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = options.threads ?? Math.min(availableParallelism(), MAX_DEFAULT_THREADS);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ValueError(`createWasmBackend: threads must be an integer >= 1, got ${threads}`);
  }
  const relaxed = options.simd
    ? chooseRelaxed(options.simd, 'createWasmBackend: simd')
    : chooseRelaxed(process.env.OSMOSIS_WASM_SIMD ?? 'auto', 'OSMOSIS_WASM_SIMD');
  const reserve = options.reserveBytes ?? DEFAULT_RESERVE_BYTES;
  if (
    !Number.isInteger(reserve) ||
    reserve < SCRATCH_BYTES * 2 ||
    reserve > MAX_PAGES * PAGE_BYTES
  ) {
    throw new ValueError(
      `createWasmBackend: reserveBytes must be an integer in [${SCRATCH_BYTES * 2}, ` +
        `${MAX_PAGES * PAGE_BYTES}], got ${reserve}`,
    );
  }
  const root = packageRoot();
  const localModule = await wasmApi.compile(await readKernels(kernelsPath(root, false, relaxed)));
  const local = await instantiate(localModule, reservedMemory(reserve, options.reserveBytes), 1);
  if (threads === 1) return new WasmKernels(local, null, 1, relaxed);

  const module = await wasmApi.compile(await readKernels(kernelsPath(root, true, relaxed)));
  const memory = memoryFor(true);
  const shared = await instantiate(module, memory, threads);
  const pool = await WorkerPool.start(
    module,
    memory,
    shared.ctlOffset,
    threads - 1,
    workerPath(root),
  );
  return new WasmKernels(local, { instance: shared, pool }, threads, relaxed);
}

/** Whether to load the relaxed-SIMD build for `simd` (`source` names where it came from). */
function chooseRelaxed(simd: string, source: string): boolean {
  if (!(WASM_SIMD as readonly string[]).includes(simd)) {
    throw new ValueError(`${source} must be one of ${WASM_SIMD.join(', ')}, got '${simd}'`);
  }
  if (simd === 'baseline') return false;
  const available = relaxedSimdAvailable();
  if (simd === 'relaxed' && !available) {
    throw new BackendError(
      `${source}: 'relaxed' asked for, but this engine does not validate relaxed SIMD (node ${process.version})`,
    );
  }
  return available;
}

function memoryFor(shared: boolean): WasmMemory {
  return new wasmApi.Memory({ initial: 1, maximum: MAX_PAGES, shared });
}

/**
 * An unshared memory of `bytes` that cannot grow. Without an explicit size, a system that refuses
 * that much (a small machine with strict overcommit) gets half as much, down to 256 MiB.
 */
function reservedMemory(bytes: number, explicit: number | undefined): WasmMemory {
  for (let pages = Math.floor(bytes / PAGE_BYTES); ; pages >>= 1) {
    try {
      return new wasmApi.Memory({ initial: pages, maximum: pages, shared: false });
    } catch (cause) {
      if (explicit !== undefined || pages * PAGE_BYTES <= SCRATCH_BYTES * 4) {
        throw new BackendError(`wasm backend: could not reserve ${pages * PAGE_BYTES} bytes`, {
          cause,
        });
      }
    }
  }
}

/** Instantiates the kernels on memory and lays it out for `threads` GEMM threads. */
async function instantiate(
  module: WasmModule,
  memory: WasmMemory,
  threads: number,
): Promise<KernelInstance> {
  const instance = await wasmApi.instantiate(module, { env: { memory } });
  const k = instance.exports as KernelExports;
  // Layout above the module's static data: control block | GEMM scratch per thread | arena.
  const ctlOffset = alignUp(k.heapBase());
  const scratch = { base: alignUp(ctlOffset + CTL_BYTES), stride: alignUp(k.gemmScratchBytes()) };
  const arenaBase = scratch.base + threads * scratch.stride;
  if (!(memory.buffer instanceof ArrayBuffer)) {
    const pages = Math.ceil((arenaBase + INITIAL_ARENA_BYTES) / PAGE_BYTES);
    memory.grow(pages - memory.buffer.byteLength / PAGE_BYTES);
    return { k, heap: new WasmHeap(memory, arenaBase), ctlOffset, scratch, arena: null };
  }
  // The unshared memory is reserved whole: operand scratch, then the resident arena to its end
  // (less the bytes the GEMM may read past an operand).
  const scratchEnd = alignUp(arenaBase + SCRATCH_BYTES);
  const arena = new Arena(memory.buffer, scratchEnd, memory.buffer.byteLength - 64);
  return { k, heap: new WasmHeap(memory, arenaBase, arena, scratchEnd), ctlOffset, scratch, arena };
}
