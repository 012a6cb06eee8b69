/**
 * The RL registries (env families, algorithms) are heavy to import, and a worker thread needs them
 * only for jobs that train an RL algorithm, so they load on demand: the runner before validating
 * a config (algorithm names and hyperparameters are checked), the 'scratch' method before training.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

let loading: Promise<void> | null = null;

export function loadRlRegistries(): Promise<void> {
  loading ??= (async () => {
    await import('../rl/envs/index.js');
    // Imported by path: the algorithms' index belongs to the RL part of the project, and this
    // keeps the experiments working (with only the algorithms that modules register) without it.
    const algos = new URL(`../rl/algos/index${EXT}`, import.meta.url);
    if (existsSync(fileURLToPath(algos))) await import(algos.href);
  })();
  return loading;
}
