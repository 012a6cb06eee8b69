import { availableParallelism } from 'node:os';
import { BackendError, ValueError } from '../../errors.js';
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
/** Arena reserved up front (grown on demand): a 512^2 GEMM's operands fit. */
const INITIAL_ARENA_BYTES = 4 << 20;

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
  const root = packageRoot();
  const localModule = await wasmApi.compile(await readKernels(kernelsPath(root, false, relaxed)));
  const local = await instantiate(localModule, memoryFor(false), 1);
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
  const pages = Math.ceil((arenaBase + INITIAL_ARENA_BYTES) / PAGE_BYTES);
  memory.grow(pages - memory.buffer.byteLength / PAGE_BYTES);
  return { k, heap: new WasmHeap(memory, arenaBase), ctlOffset, scratch };
}
