// Worker entry of AsyncVectorEnv: hosts one env built by registry id. Plain JavaScript so it
// loads without a TypeScript loader. When the parent runs from TypeScript sources (vitest, tsx)
// the worker registers tsx's ESM loader itself: on Node 20 a Worker ignores `--import tsx` in
// its execArgv, but `register()` from tsx/esm/api works inside the worker.
import { parentPort, workerData } from 'node:worker_threads';

const { registryUrl, modules, id, options, makeArgs, tsLoader } = workerData;

let env = null;
// Next-step autoreset, mirrored from SyncVectorEnv so both give identical trajectories.
let needsReset = false;

function describe(e) {
  return { name: e?.name ?? 'Error', message: e?.message ?? String(e), stack: e?.stack ?? '' };
}

async function init() {
  if (tsLoader) {
    const { register } = await import('tsx/esm/api');
    register();
  }
  const registry = await import(registryUrl);
  for (const m of modules) await import(m);
  env = registry.make(id, options, makeArgs);
  return {
    observationSpace: env.observationSpace.toJSON(),
    actionSpace: env.actionSpace.toJSON(),
  };
}

function handle(msg) {
  switch (msg.cmd) {
    case 'reset': {
      needsReset = false;
      return env.reset(msg.args);
    }
    case 'step': {
      if (needsReset) {
        needsReset = false;
        const r = env.reset();
        return {
          observation: r.observation,
          reward: 0,
          terminated: false,
          truncated: false,
          info: r.info,
        };
      }
      const r = env.step(msg.action);
      needsReset = r.terminated || r.truncated;
      return r;
    }
    case 'close': {
      env.close();
      return null;
    }
    default:
      throw new Error(`AsyncVectorEnv worker: unknown command ${String(msg.cmd)}`);
  }
}

init().then(
  (spaces) => {
    parentPort.on('message', (msg) => {
      try {
        parentPort.postMessage({ ok: true, value: handle(msg) });
      } catch (e) {
        parentPort.postMessage({ ok: false, error: describe(e) });
      }
      if (msg.cmd === 'close') parentPort.close();
    });
    parentPort.postMessage({ ok: true, value: spaces });
  },
  (e) => parentPort.postMessage({ ok: false, error: describe(e) }),
);
