/**
 * The control block at the start of the JS-owned part of the wasm memory: Int32Array slots
 * shared by the main thread, the workers (worker.mjs) and assembly/gemm.ts. Slot i is at byte
 * offset 4 i; the GEMM job slots must match the byte offsets in assembly/gemm.ts.
 */
export const CTL_BYTES = 128;

/** Bumped by the main thread to start a job; workers Atomics.wait on it. */
export const GEN = 0;
/** Workers that joined the current job and finished it; each one notifies the main thread. */
export const DONE = 1;
/** Set (then GEN bumped) to make the workers exit. */
export const STOP = 2;
/** Set by a worker whose share of the job threw. */
export const ERROR = 3;
/** Threads taking part in the current job (main thread = tid 0); read by gemmRun too. */
export const ACTIVE = 4;
/**
 * Workers that joined the current job, or CLOSED once the main thread has finished its own
 * share: a worker that wakes after that skips the job (the main thread has claimed all of it).
 */
export const JOINED = 5;
export const CLOSED = -1;

/** GEMM job slots (all int32 except alpha and beta, which are float32 bit patterns). */
export const JOB = {
  a: 8,
  b: 9,
  c: 10,
  batch: 11,
  m: 12,
  n: 13,
  k: 14,
  transA: 15,
  transB: 16,
  strideA: 17,
  strideB: 18,
  strideC: 19,
  alpha: 20,
  beta: 21,
  scratch: 22,
  scratchStride: 23,
  /** The next unclaimed unit of work; zeroed before each job, claimed with atomic adds. */
  next: 24,
} as const;
