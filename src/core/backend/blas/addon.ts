import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The native addon built from native/blas by `npm run build:blas`. */
export interface BlasAddon {
  /** Row-major batched sgemm; see GemmArgs for the meaning of each argument. */
  gemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    strideC: number,
    alpha: number,
    beta: number,
  ): void;
  /** openblas_set_num_threads: process-wide, not per backend. */
  setThreads(threads: number): void;
  getThreads(): number;
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64". */
  config(): string;
}

export const ADDON_RELATIVE_PATH = join('native', 'blas', 'build', 'Release', 'osmosis_blas.node');

/**
 * The package root: the nearest folder above this module holding package.json. Walking up (rather
 * than a fixed '../../..') finds it from src/ under vitest/tsx and from dist/src/ after tsc alike.
 */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export type AddonLoad = { addon: BlasAddon; path: string } | { error: Error; path: string | null };

let cached: AddonLoad | undefined;

/** Loads the addon once; a missing or broken build is reported, not thrown. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const root = packageRoot();
  if (!root) {
    cached = { error: new Error('no package.json above the blas backend module'), path: null };
    return cached;
  }
  const path = join(root, ADDON_RELATIVE_PATH);
  try {
    if (!existsSync(path)) throw new Error(`${path} does not exist`);
    cached = { addon: createRequire(import.meta.url)(path) as BlasAddon, path };
  } catch (error) {
    cached = { error: error instanceof Error ? error : new Error(String(error)), path };
  }
  return cached;
}
