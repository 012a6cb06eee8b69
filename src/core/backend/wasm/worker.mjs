// A GEMM worker of the wasm backend (plain JS: it runs under plain Node and under vitest alike).
// It instantiates the kernels on the backend's shared memory, then loops: sleep on the control
// block's GEN slot, join the job unless the main thread has closed it, run its share, count
// itself DONE. See pool.ts and layout.ts.
import { parentPort, workerData } from 'node:worker_threads';

const GEN = 0;
const DONE = 1;
const STOP = 2;
const ERROR = 3;
const ACTIVE = 4;
const JOINED = 5;
const CLOSED = -1;
/**
 * After a job the worker polls GEN this long before sleeping in Atomics.wait, so GEMMs that
 * follow each other closely skip the futex wake-up (12 us median, 40 us p90 on the 2-vCPU dev
 * VM). Longer spins backfire when the machine is busy: a spinning thread uses up its time slice
 * and is preempted, and with 2 ms spins a 256^3 GEMM took 4.7 ms (median) instead of 0.75.
 */
const SPIN_MS = 0.05;

const { module, memory, ctlOffset, tid } = workerData;
const { exports } = new WebAssembly.Instance(module, { env: { memory } });
const ctl = new Int32Array(memory.buffer, ctlOffset, 32);
let seen = Atomics.load(ctl, GEN);
parentPort.postMessage('ready');

for (;;) {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(ctl, GEN) === seen; i++) {
    if ((i & 1023) === 0 && performance.now() > until) Atomics.wait(ctl, GEN, seen);
  }
  seen = Atomics.load(ctl, GEN);
  if (Atomics.load(ctl, STOP) !== 0) break;
  if (!join()) continue;
  // Read after joining: a worker that woke for an earlier job may have joined a later one.
  if (tid < Atomics.load(ctl, ACTIVE)) {
    try {
      exports.gemmRun(ctlOffset, tid);
    } catch {
      Atomics.store(ctl, ERROR, 1);
    }
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}

/** Counts this worker into the open job; false once the main thread has closed it. */
function join() {
  for (let j = Atomics.load(ctl, JOINED); j !== CLOSED; j = Atomics.load(ctl, JOINED)) {
    if (Atomics.compareExchange(ctl, JOINED, j, j + 1) === j) return true;
  }
  return false;
}
