// Worker entry of the experiment runner: runs (method, seed) jobs one at a time. Plain .mjs so
// it loads under plain Node from dist/ and under vitest/tsx alike: when the parent runs from the
// TypeScript sources, it sets tsLoader and the worker registers tsx's ESM loader itself (on Node
// 20 a Worker ignores `--import tsx` in its execArgv), as src/rl/vector/worker.mjs does.
import { parentPort, workerData } from 'node:worker_threads';

const { tsLoader, methodsUrl, selectUrl, modules, experiment, backend } = workerData;

function describe(err) {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ''}`.trim();
  return String(err);
}

let registry;
let used;
try {
  if (tsLoader) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  // Module state is per thread: the parent's kernel backend is not ours until we select it.
  // `backend` is an environment for initDefaultBackend (OSMOSIS_BACKEND only when the user
  // named one, so a missing wasm build falls back to js as it does in the parent).
  const { initDefaultBackend } = await import(selectUrl);
  const b = await initDefaultBackend(backend);
  used = { name: b.name, threads: b.threads, ...(b.simd ? { simd: b.simd } : {}) };
  registry = await import(methodsUrl);
  for (const m of modules) await import(m);
} catch (err) {
  parentPort.postMessage({ type: 'fatal', error: describe(err) });
}

async function runJob(job) {
  const config = experiment.methods.find((m) => m.name === job.method);
  if (!config) throw new Error(`no method named '${job.method}' in the experiment`);
  const { key } = job;
  const started = performance.now();
  const result = await registry.getMethod(config.kind).run({
    config,
    experiment,
    seed: job.seed,
    outDir: job.outDir,
    onProgress: (p) => parentPort.postMessage({ type: 'progress', key, p }),
    onEpisode: (e) => parentPort.postMessage({ type: 'episode', key, e }),
    onEvent: (e) => parentPort.postMessage({ type: 'event', key, e }),
  });
  return { result, seconds: (performance.now() - started) / 1000 };
}

if (registry) {
  parentPort.on('message', async (job) => {
    let reply;
    try {
      const { result, seconds } = await runJob(job);
      reply = { type: 'done', key: job.key, result, seconds };
    } catch (err) {
      reply = { type: 'failed', key: job.key, error: describe(err) };
    }
    try {
      parentPort.postMessage(reply);
    } catch (err) {
      parentPort.postMessage({
        type: 'failed',
        key: job.key,
        error: `the job's result cannot be sent back: ${describe(err)}`,
      });
    }
  });
  parentPort.postMessage({ type: 'ready', backend: used });
}
