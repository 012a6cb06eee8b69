import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relaxedSimdAvailable } from '../../src/core/backend/wasm/features.js';
import { BackendError, ConfigError } from '../../src/core/errors.js';
import { readJobResult, resultPath } from '../../src/experiments/run-dir.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { backendFromEnv, threadsPerWorker } from '../../src/experiments/worker-backend.js';
import { tempDir, writeFakeConfig } from './helpers.js';

/** What each job's result file says it ran on, and what the job's own code saw. */
async function backendsOf(runDir: string): Promise<{ recorded: unknown; seen: unknown }[]> {
  const out = [];
  for (const method of ['scratch', 'helpful', 'harmful']) {
    const r = await readJobResult(resultPath(runDir, method, 0));
    const agent = JSON.parse(
      readFileSync(join(runDir, 'checkpoints', method, 'seed-0', 'agent.json'), 'utf8'),
    ) as { kernels: unknown };
    out.push({ recorded: r.backend, seen: agent.kernels });
  }
  return out;
}

/** The wasm kernel build a worker loads here (OSMOSIS_WASM_SIMD, else the engine's support). */
const build = (): 'relaxed' | 'baseline' => {
  const asked = process.env.OSMOSIS_WASM_SIMD ?? 'auto';
  if (asked === 'relaxed' || asked === 'baseline') return asked;
  return relaxedSimdAvailable() ? 'relaxed' : 'baseline';
};

describe('experiment workers select the kernel backend', () => {
  const root = tempDir('worker-backend');
  const config = writeFakeConfig(join(root, 'cfg'), { seeds: 1 });
  const out = join(root, 'runs');

  it('wasm by default, the cores shared out between the workers; recorded per job', async () => {
    const logs: string[] = [];
    const run = await runExperiment(config, {
      out,
      workers: 2,
      backend: backendFromEnv({}),
      log: (s) => logs.push(s),
    });
    expect(run.status).toBe('finished');
    const wasm = { name: 'wasm', threads: Math.max(1, Math.floor(availableParallelism() / 2)) };
    // The result file also records which wasm build ran: seeded results differ between builds.
    for (const b of await backendsOf(run.runDir))
      expect(b).toEqual({ recorded: { ...wasm, simd: build() }, seen: wasm });
    expect(logs.join('')).toContain(`2 worker(s), wasm kernels with ${wasm.threads} thread(s)`);
  });

  it('the backend and thread count the user named', async () => {
    const js = await runExperiment(config, {
      out,
      workers: 2,
      backend: backendFromEnv({ OSMOSIS_BACKEND: 'js' }),
    });
    for (const b of await backendsOf(js.runDir)) {
      expect(b).toEqual({ recorded: { name: 'js', threads: 1 }, seen: { name: 'js', threads: 1 } });
    }
    // A backend passed in code is used even when not marked as named by the user.
    const quiet = await runExperiment(config, {
      out,
      workers: 2,
      backend: { name: 'js', explicit: false },
    });
    for (const b of await backendsOf(quiet.runDir)) {
      expect(b).toEqual({ recorded: { name: 'js', threads: 1 }, seen: { name: 'js', threads: 1 } });
    }
    const one = await runExperiment(config, {
      out,
      workers: 1,
      backend: backendFromEnv({ OSMOSIS_THREADS: '1' }),
    });
    const wasm1 = { name: 'wasm', threads: 1 };
    for (const b of await backendsOf(one.runDir))
      expect(b).toEqual({ recorded: { ...wasm1, simd: build() }, seen: wasm1 });
  });

  it('reads OSMOSIS_BACKEND / OSMOSIS_THREADS and rejects bad values by name', () => {
    expect(backendFromEnv({})).toEqual({ name: 'wasm', explicit: false });
    expect(backendFromEnv({ OSMOSIS_BACKEND: 'blas', OSMOSIS_THREADS: '3' })).toEqual({
      name: 'blas',
      threads: 3,
      explicit: true,
    });
    expect(() => backendFromEnv({ OSMOSIS_BACKEND: 'cuda' })).toThrow(BackendError);
    expect(() => backendFromEnv({ OSMOSIS_BACKEND: 'cuda' })).toThrow(/OSMOSIS_BACKEND.*cuda/);
    expect(() => backendFromEnv({ OSMOSIS_THREADS: 'two' })).toThrow(ConfigError);
    expect(() => backendFromEnv({ OSMOSIS_THREADS: '0' })).toThrow(/OSMOSIS_THREADS.*'0'/);
    expect(threadsPerWorker({ name: 'wasm', explicit: false }, 2, 2)).toBe(1);
    expect(threadsPerWorker({ name: 'wasm', explicit: false }, 3, 16)).toBe(5);
    expect(threadsPerWorker({ name: 'wasm', explicit: false }, 4, 2)).toBe(1);
    expect(threadsPerWorker({ name: 'wasm', threads: 4, explicit: true }, 2, 2)).toBe(4);
  });
});
