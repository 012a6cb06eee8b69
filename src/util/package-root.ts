import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/**
 * The folder holding Osmosis's package.json. Code runs both from src/ (tests, tsx) and from the
 * compiled dist/src/, so assets (kernels, workers, fixtures) are found from the root instead of
 * relative to the running file.
 */
export function findPackageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src')))
      return (cached = dir);
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        `osmosis: cannot find the package root above ${fileURLToPath(import.meta.url)}`,
      );
    dir = parent;
  }
}
