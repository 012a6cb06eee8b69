// Worker entry of a parameter sweep. Plain .mjs on purpose: worker threads load it with plain
// Node, with no TypeScript loader, both in production and under vitest. It imports the user's
// module once, reports `ready` (or `fatal` if the module or export is unusable), then answers each
// job with its metrics or the error it threw; a throwing run must not take the worker down.
import { parentPort, workerData } from 'node:worker_threads';

const { moduleUrl, exportName } = workerData;

function describe(err) {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

let run;
try {
  const mod = await import(moduleUrl);
  run = mod[exportName];
  if (typeof run !== 'function') {
    throw new TypeError(`export '${exportName}' of ${moduleUrl} is ${typeof run}, not a function`);
  }
} catch (err) {
  parentPort.postMessage({ type: 'fatal', error: describe(err) });
}

if (run) {
  parentPort.on('message', async (job) => {
    let reply;
    try {
      const metrics = await run({ run: job.run, params: job.params, seed: job.seed });
      reply = { type: 'result', index: job.index, metrics };
    } catch (err) {
      reply = { type: 'result', index: job.index, error: describe(err) };
    }
    try {
      parentPort.postMessage(reply);
    } catch (err) {
      // e.g. metrics holding a function: the run finished but its result cannot cross threads.
      const error = `metrics cannot be sent back: ${describe(err)}`;
      parentPort.postMessage({ type: 'result', index: job.index, error });
    }
  });
  parentPort.postMessage({ type: 'ready' });
}
