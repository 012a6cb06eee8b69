import { BackendError } from '../errors.js';
import type { Backend } from './backend.js';
import { getBackend, parseBackendName, setBackend, type BackendName } from './index.js';
import { jsBackend } from './js.js';

export interface UseBackendOptions {
  /** Threads for the heavy kernels (wasm: worker threads incl. the main one; blas: OpenBLAS). */
  threads?: number;
}

type Disposable = Backend & { dispose?: () => void };

/**
 * Switch the float32 kernels to a backend: 'wasm' (WebAssembly SIMD on worker threads, the
 * default), 'blas' (the system OpenBLAS through a native addon, when built) or 'js' (plain
 * loops, the reference). The previous backend's threads are stopped.
 */
export async function useBackend(
  name: BackendName,
  options: UseBackendOptions = {},
): Promise<Backend> {
  let next: Backend;
  if (name === 'js') next = jsBackend;
  else if (name === 'wasm') {
    const { createWasmBackend } = await import('./wasm/index.js');
    next = await createWasmBackend({ threads: options.threads });
  } else {
    const { createBlasBackend } = await import('./blas/index.js');
    next = createBlasBackend({ threads: options.threads, rows: await rowKernels() });
  }
  const previous = getBackend() as Disposable;
  setBackend(next);
  if (previous !== next) previous.dispose?.();
  return next;
}

/**
 * The non-GEMM kernels for the blas backend: wasm on the main thread only (its GEMM workers would
 * compete with OpenBLAS's threads), or js when the kernels are not built.
 */
async function rowKernels(): Promise<Disposable> {
  const { createWasmBackend } = await import('./wasm/index.js');
  try {
    return await createWasmBackend({ threads: 1 });
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return jsBackend;
  }
}

/**
 * The backend a process starts with: OSMOSIS_BACKEND (wasm, blas or js; default wasm) and
 * OSMOSIS_THREADS. If the wasm kernels are not built, say so once and use js, so a checkout
 * that skipped the build still works (slowly).
 */
export async function initDefaultBackend(env: NodeJS.ProcessEnv = process.env): Promise<Backend> {
  const name = parseBackendName(env.OSMOSIS_BACKEND ?? 'wasm', 'OSMOSIS_BACKEND');
  const threads = env.OSMOSIS_THREADS ? Number(env.OSMOSIS_THREADS) : undefined;
  try {
    return await useBackend(name, { threads });
  } catch (err) {
    if (env.OSMOSIS_BACKEND || !(err instanceof BackendError)) throw err;
    process.stderr.write(`osmosis: ${err.message}; using the slow js backend\n`);
    return useBackend('js');
  }
}
