import type { DType } from '../dtype.js';
import { BackendError } from '../errors.js';
import { setActiveArena } from '../memory/arena.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';

export type { Backend, GemmArgs } from './backend.js';
export { jsBackend } from './js.js';

export type BackendName = 'js' | 'wasm' | 'blas';

/**
 * The active backend for float32 kernels. float64 always runs on js (gradient checks need exact
 * reference loops, and the fast backends are float32-only).
 */
let active: Backend = jsBackend;

export function getBackend(): Backend {
  return active;
}

/** The backend that runs kernels for this dtype. */
export function backendFor(dtype: DType): Backend {
  return dtype === 'float32' ? active : jsBackend;
}

/** Replace the active backend (tests pass a ready-made one; users call useBackend). */
export function setBackend(backend: Backend): void {
  active = backend;
  setActiveArena(backend.arena ?? null);
}

export function isBackendName(name: string): name is BackendName {
  return name === 'js' || name === 'wasm' || name === 'blas';
}

export function parseBackendName(name: string, source: string): BackendName {
  if (!isBackendName(name)) {
    throw new BackendError(`${source}: unknown backend '${name}'; choose one of js, wasm, blas`);
  }
  return name;
}
