import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendError } from '../../errors.js';

/**
 * The osmosis package root. Code runs from src/ under vitest or tsx and from dist/src after tsc,
 * so the worker script and build/kernels.wasm are found from the nearest package.json named
 * osmosis rather than relative to this file.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'osmosis'
    ) {
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new BackendError(`wasm backend: no osmosis package.json above ${from}`);
    dir = up;
  }
}

/** The worker entry (plain JS, so it runs the same under Node and vitest). */
export function workerPath(root: string): string {
  return join(root, 'src', 'core', 'backend', 'wasm', 'worker.mjs');
}

/** Reads the compiled kernels, or says how to build them. */
export async function readKernels(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new BackendError(
      `wasm backend: cannot read ${path}; build the kernels with \`npm run build:kernels\``,
      { cause },
    );
  }
}

/** Every module scripts/build-kernels.mjs writes into build/ (kernelsPath picks one). */
export const KERNEL_FILES = [
  'kernels.wasm',
  'kernels-unshared.wasm',
  'kernels-relaxed.wasm',
  'kernels-relaxed-unshared.wasm',
] as const;

/**
 * The kernels built for a shared memory (worker threads) or an unshared one, with relaxed SIMD
 * (fused multiply-add in the GEMM) or baseline SIMD only.
 */
export function kernelsPath(root: string, shared = true, relaxed = false): string {
  const name = `kernels${relaxed ? '-relaxed' : ''}${shared ? '' : '-unshared'}.wasm`;
  return join(root, 'build', name);
}
