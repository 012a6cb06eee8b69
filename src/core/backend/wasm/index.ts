import { availableParallelism } from 'node:os';
import { ValueError } from '../../errors.js';
import type { Backend } from '../backend.js';
import { type KernelExports, WasmKernels } from './backend.js';
import { alignUp, MAX_PAGES, PAGE_BYTES, WasmHeap } from './heap.js';
import { CTL_BYTES } from './layout.js';
import { kernelsPath, packageRoot, readKernels, workerPath } from './locate.js';
import { WorkerPool } from './pool.js';
import { wasmApi } from './wasm-api.js';

export { benchGemm, type GemmBenchResult } from './bench-gemm.js';

export interface WasmBackendOptions {
  /** Threads for GEMM, the main thread included. Default: available cores, at most 8. */
  threads?: number;
}

export type WasmBackend = Backend & {
  /** Stops the worker threads; any later call throws a BackendError. */
  dispose(): void;
};

const MAX_DEFAULT_THREADS = 8;
/** Arena reserved up front (grown on demand): a 512^2 GEMM's operands fit. */
const INITIAL_ARENA_BYTES = 4 << 20;

/**
 * The default float32 backend: AssemblyScript SIMD kernels (build/kernels.wasm) on one shared
 * WebAssembly.Memory, GEMM spread over worker threads. Float64 calls go to the js backend.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const threads = options.threads ?? Math.min(availableParallelism(), MAX_DEFAULT_THREADS);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ValueError(`createWasmBackend: threads must be an integer >= 1, got ${threads}`);
  }
  const root = packageRoot();
  const module = await wasmApi.compile(await readKernels(kernelsPath(root)));
  const memory = new wasmApi.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const instance = await wasmApi.instantiate(module, { env: { memory } });
  const k = instance.exports as KernelExports;

  // Layout above the module's static data: control block | GEMM scratch per thread | arena.
  const ctlOffset = alignUp(k.heapBase());
  const scratch = { base: alignUp(ctlOffset + CTL_BYTES), stride: alignUp(k.gemmScratchBytes()) };
  const arenaBase = scratch.base + threads * scratch.stride;
  const pages = Math.ceil((arenaBase + INITIAL_ARENA_BYTES) / PAGE_BYTES);
  memory.grow(pages - memory.buffer.byteLength / PAGE_BYTES);

  const pool =
    threads > 1
      ? await WorkerPool.start(module, memory, ctlOffset, threads - 1, workerPath(root))
      : null;
  const heap = new WasmHeap(memory, arenaBase);
  return new WasmKernels(k, heap, pool, threads, ctlOffset, scratch);
}
