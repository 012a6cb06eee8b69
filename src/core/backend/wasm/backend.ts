import type { FloatArray } from '../../dtype.js';
import { BackendError, ShapeError } from '../../errors.js';
import type { Backend, GemmArgs } from '../backend.js';
import { jsBackend } from '../js.js';
import type { Arena } from '../../memory/arena.js';
import type { WasmHeap } from './heap.js';
import { ACTIVE, JOB } from './layout.js';
import type { WorkerPool } from './pool.js';

/** The exports of build/kernels.wasm (byte offsets into the shared memory, sizes in floats). */
export interface KernelExports {
  heapBase(): number;
  gemmScratchBytes(): number;
  gemmRun(ctl: number, tid: number): void;
  softmaxRows(x: number, out: number, rows: number, cols: number): void;
  softmaxBackwardRows(y: number, dy: number, dx: number, rows: number, cols: number): void;
  logSoftmaxRows(x: number, out: number, rows: number, cols: number): void;
  layerNormRows(
    x: number,
    gamma: number,
    beta: number,
    out: number,
    mean: number,
    rstd: number,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  layerNormBackwardRows(
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dy: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    cols: number,
  ): void;
  gelu(x: number, out: number, n: number, approximate: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number, approximate: number): void;
  addColumnSums(x: number, out: number, rows: number, cols: number): void;
  tanhForward(x: number, out: number, n: number): void;
  tanhBackward(y: number, dy: number, dx: number, n: number): void;
  adamStep(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    eps: number,
    l2: number,
    decay: number,
    stepSize: number,
    sqrtBc2: number,
  ): void;
}

/**
 * The kernels instantiated on one memory, which holds (above the module's static data) a control
 * block at ctlOffset, GEMM scratch for each thread that runs on it, and the operand arena.
 */
export interface KernelInstance {
  k: KernelExports;
  heap: WasmHeap;
  ctlOffset: number;
  scratch: { base: number; stride: number };
  /** Tensor storage in this memory (the unshared one only: it never grows). */
  arena: Arena | null;
}

/**
 * Below this many flops (2 m n k batch) a GEMM runs on the main thread alone: waking a worker
 * and waiting for it costs about as much as the work saved. Median time per n^3 GEMM, one vs
 * two threads, idle 2-core Zen 5 VM: n = 64: 14.0 vs 18.7 us; 80: 24.6 vs 28.7; 96: 43.1 vs
 * 42.2; 128: 93.7 vs 82.5; 192: 331 vs 238. On a loaded machine two threads lose up to 256^3
 * (load average 8 on 2 cores: 1.1-1.4x slower); not re-tuned, see docs/benchmarks.md.
 */
const PARALLEL_MIN_FLOPS = 2 * 96 ** 3;

const f32 = (x: FloatArray | null): x is Float32Array | null =>
  x === null || x instanceof Float32Array;

/** Elements spanned by `batch` matrices of `size` elements, `stride` apart (0 = broadcast). */
function span(batch: number, stride: number, size: number): number {
  return size === 0 ? 0 : (batch - 1) * stride + size;
}

function checkLength(op: string, name: string, x: FloatArray, need: number, args: string): void {
  if (x.length < need) {
    throw new ShapeError(`${op}: '${name}' has ${x.length} elements, needs ${need} (${args})`);
  }
}

/**
 * The wasm backend's kernels. Operands that live in the calling thread's wasm memory (op outputs
 * made inside a memoryScope, Adam's state: core/memory/arena.ts) are used in place; any other
 * operand is copied into a scratch area (TypedArray.set) and results are copied back. A kernel
 * whose output is not resident runs in place on its input's copy to keep the working set small.
 * Anything not float32 goes to the js backend.
 *
 * Two instances of the kernels: every call that runs on the calling thread alone uses one on an
 * unshared memory (`local`); GEMMs big enough to split over worker threads use one on a shared
 * memory that the workers see too (`parallel`, absent with one thread). V8 copies into and out
 * of a shared memory word by word with relaxed atomics: 16 KB took 1.0 us against 0.2 us for an
 * unshared one, and a small MLP step copies ~600 KB in ~60 calls.
 *
 * Every float32 kernel stays in wasm because it beats js with the copies included (one thread,
 * best of 5-10 runs, CPU time, Zen 5 dev VM; two runs on a shared machine, so ranges):
 *   softmaxRows / logSoftmaxRows   1024 x 256..1024       6.5-8.8x  (js calls Math.exp per element)
 *   softmaxBackwardRows            1024 x 256..1024       2.6-6.7x
 *   layerNormRows                  1024 x 256..1024       4.2-6.0x
 *   layerNormBackwardRows          1024 x 256..1024       5.6-7.9x
 *   gelu, geluBackward (erf)       1M elements            6.8-8.8x  (js sums an erf series)
 *   gelu, geluBackward (tanh)      1M elements            7.2-10.7x
 *   adamStep                       3M elements            2.2-2.6x  (7 copies of 12 MB dominate)
 */
export class WasmKernels implements Backend {
  readonly name = 'wasm' as const;
  readonly simd: 'relaxed' | 'baseline';
  readonly arena: Arena | null;
  private readonly k: KernelExports;
  private disposed = false;

  constructor(
    private readonly local: KernelInstance,
    private readonly parallel: { instance: KernelInstance; pool: WorkerPool } | null,
    readonly threads: number,
    /** Whether the kernels are the relaxed-SIMD build (fused multiply-add in the GEMM). */
    relaxed: boolean,
  ) {
    this.simd = relaxed ? 'relaxed' : 'baseline';
    this.k = local.k;
    this.arena = local.arena;
  }

  gemm(a: FloatArray, b: FloatArray, c: FloatArray, args: GemmArgs): void {
    if (!(f32(a) && f32(b) && f32(c))) return jsBackend.gemm(a, b, c, args);
    const { batch, m, n, k, strideA, strideB, strideC, beta } = args;
    if (batch <= 0 || m <= 0 || n <= 0) return;
    const lenA = span(batch, strideA, m * k);
    const lenB = span(batch, strideB, k * n);
    const lenC = span(batch, strideC, m * n);
    const desc = `batch ${batch}, m ${m}, n ${n}, k ${k}, strides ${strideA}/${strideB}/${strideC}`;
    checkLength('gemm', 'a', a, lenA, desc);
    checkLength('gemm', 'b', b, lenB, desc);
    checkLength('gemm', 'c', c, lenC, desc);
    // C matrices that partly overlap (0 < strideC < m n) would race between threads.
    const overlapping = batch > 1 && strideC !== 0 && strideC < m * n;
    const split = this.parallel !== null && !overlapping;
    const parallel = split && 2 * batch * m * n * k >= PARALLEL_MIN_FLOPS ? this.parallel : null;
    const inst = parallel ? parallel.instance : this.local;
    const heap = this.begin('gemm', inst);
    const pa = heap.input(a, lenA, 'gemm');
    const pb = heap.input(b, lenB, 'gemm');
    // A resident C is written in place unless it shares memory with A or B. Otherwise C is copied
    // in when accumulating, and when gaps between its matrices must survive the copy back.
    const own = heap.offsetOf(c);
    const inPlace = own >= 0 && !overlaps(c, a) && !overlaps(c, b);
    const readC = beta !== 0 || (batch > 1 && strideC !== m * n);
    const pc = inPlace ? own : readC ? heap.put(c, lenC, 'gemm') : heap.alloc(lenC, 'gemm');

    // The job goes in after every allocation: growing an unshared memory detaches older views.
    const ctl = inst.ctlOffset;
    const slot = (i: number, v: number) => heap.setI32(ctl + 4 * i, v);
    slot(JOB.a, pa);
    slot(JOB.b, pb);
    slot(JOB.c, pc);
    slot(JOB.batch, batch);
    slot(JOB.m, m);
    slot(JOB.n, n);
    slot(JOB.k, k);
    slot(JOB.transA, args.transA ? 1 : 0);
    slot(JOB.transB, args.transB ? 1 : 0);
    slot(JOB.strideA, strideA);
    slot(JOB.strideB, strideB);
    slot(JOB.strideC, strideC);
    heap.setF32(ctl + 4 * JOB.alpha, args.alpha);
    heap.setF32(ctl + 4 * JOB.beta, beta);
    slot(JOB.scratch, inst.scratch.base);
    slot(JOB.scratchStride, inst.scratch.stride);
    slot(JOB.next, 0);
    if (parallel) {
      parallel.pool.run(this.threads, () => inst.k.gemmRun(ctl, 0), 'gemm');
    } else {
      slot(ACTIVE, 1);
      inst.k.gemmRun(ctl, 0);
    }
    if (!inPlace) heap.read(pc, c, lenC);
  }

  softmaxRows(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    if (!(f32(x) && f32(out))) return jsBackend.softmaxRows(x, out, rows, cols);
    this.rowsInPlace(x, out, rows * cols, 'softmaxRows', (p, q) =>
      this.k.softmaxRows(p, q, rows, cols),
    );
  }

  logSoftmaxRows(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    if (!(f32(x) && f32(out))) return jsBackend.logSoftmaxRows(x, out, rows, cols);
    this.rowsInPlace(x, out, rows * cols, 'logSoftmaxRows', (p, q) =>
      this.k.logSoftmaxRows(p, q, rows, cols),
    );
  }

  softmaxBackwardRows(y: FloatArray, dy: FloatArray, dx: FloatArray, rows: number, cols: number) {
    if (!(f32(y) && f32(dy) && f32(dx)))
      return jsBackend.softmaxBackwardRows(y, dy, dx, rows, cols);
    const n = rows * cols;
    if (n <= 0) return;
    const heap = this.begin('softmaxBackwardRows');
    const py = heap.input(y, n, 'softmaxBackwardRows');
    const [pd, pdx] = this.through(heap, dy, dx, n, 'softmaxBackwardRows');
    this.k.softmaxBackwardRows(py, pd, pdx, rows, cols);
    heap.writeBack(pdx, dx, n);
  }

  layerNormRows(
    x: FloatArray,
    gamma: FloatArray | null,
    beta: FloatArray | null,
    out: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
    rows: number,
    cols: number,
    eps: number,
  ): void {
    if (!(f32(x) && f32(gamma) && f32(beta) && f32(out) && f32(mean) && f32(rstd))) {
      return jsBackend.layerNormRows(x, gamma, beta, out, mean, rstd, rows, cols, eps);
    }
    const n = rows * cols;
    if (n <= 0) return;
    const op = 'layerNormRows';
    const heap = this.begin(op);
    const [px, po] = this.through(heap, x, out, n, op);
    const pg = gamma ? heap.input(gamma, cols, op) : 0;
    const pb = beta ? heap.input(beta, cols, op) : 0;
    const pm = heap.output(mean, rows, op);
    const pr = heap.output(rstd, rows, op);
    this.k.layerNormRows(px, pg, pb, po, pm, pr, rows, cols, eps);
    heap.writeBack(po, out, n);
    heap.writeBack(pm, mean, rows);
    heap.writeBack(pr, rstd, rows);
  }

  layerNormBackwardRows(
    x: FloatArray,
    gamma: FloatArray | null,
    mean: FloatArray,
    rstd: FloatArray,
    dy: FloatArray,
    dx: FloatArray,
    dgamma: FloatArray | null,
    dbeta: FloatArray | null,
    rows: number,
    cols: number,
  ): void {
    const all = f32(x) && f32(gamma) && f32(mean) && f32(rstd) && f32(dy) && f32(dx);
    if (!(all && f32(dgamma) && f32(dbeta))) {
      return jsBackend.layerNormBackwardRows(
        x,
        gamma,
        mean,
        rstd,
        dy,
        dx,
        dgamma,
        dbeta,
        rows,
        cols,
      );
    }
    const n = rows * cols;
    if (n <= 0) return;
    const op = 'layerNormBackwardRows';
    const heap = this.begin('layerNormBackwardRows');
    const px = heap.input(x, n, op);
    const [pd, pdx] = this.through(heap, dy, dx, n, op);
    const pm = heap.input(mean, rows, op);
    const pr = heap.input(rstd, rows, op);
    const pg = gamma ? heap.input(gamma, cols, op) : 0;
    // dgamma and dbeta accumulate: updated in place, or copied in and back.
    const pdg = dgamma ? heap.input(dgamma, cols, op) : 0;
    const pdb = dbeta ? heap.input(dbeta, cols, op) : 0;
    this.k.layerNormBackwardRows(px, pg, pm, pr, pd, pdx, pdg, pdb, rows, cols);
    heap.writeBack(pdx, dx, n);
    if (dgamma) heap.writeBack(pdg, dgamma, cols);
    if (dbeta) heap.writeBack(pdb, dbeta, cols);
  }

  gelu(x: FloatArray, out: FloatArray, approximate: 'none' | 'tanh'): void {
    if (!(f32(x) && f32(out))) return jsBackend.gelu(x, out, approximate);
    const mode = approximate === 'tanh' ? 1 : 0;
    this.rowsInPlace(x, out, x.length, 'gelu', (p, q) => this.k.gelu(p, q, x.length, mode));
  }

  geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: 'none' | 'tanh'): void {
    if (!(f32(x) && f32(dy) && f32(dx))) return jsBackend.geluBackward(x, dy, dx, approximate);
    const n = x.length;
    if (n === 0) return;
    const heap = this.begin('geluBackward');
    const px = heap.input(x, n, 'geluBackward');
    const [pd, pdx] = this.through(heap, dy, dx, n, 'geluBackward');
    this.k.geluBackward(px, pd, pdx, n, approximate === 'tanh' ? 1 : 0);
    heap.writeBack(pdx, dx, n);
  }

  addColumnSums(x: FloatArray, out: FloatArray, rows: number, cols: number): void {
    if (!(f32(x) && f32(out))) return jsBackend.addColumnSums(x, out, rows, cols);
    if (rows <= 0 || cols <= 0) return;
    const op = 'addColumnSums';
    checkLength(op, 'x', x, rows * cols, `rows ${rows}, cols ${cols}`);
    checkLength(op, 'out', out, cols, `rows ${rows}, cols ${cols}`);
    const heap = this.begin(op);
    const px = heap.input(x, rows * cols, op);
    const po = heap.input(out, cols, op);
    this.k.addColumnSums(px, po, rows, cols);
    heap.writeBack(po, out, cols);
  }

  tanh(x: FloatArray, out: FloatArray): void {
    if (!(f32(x) && f32(out))) return jsBackend.tanh(x, out);
    const n = x.length;
    this.rowsInPlace(x, out, n, 'tanh', (p, q) => this.k.tanhForward(p, q, n));
  }

  tanhBackward(y: FloatArray, dy: FloatArray, dx: FloatArray): void {
    if (!(f32(y) && f32(dy) && f32(dx))) return jsBackend.tanhBackward(y, dy, dx);
    const n = dx.length;
    if (n === 0) return;
    const heap = this.begin('tanhBackward');
    const py = heap.input(y, n, 'tanhBackward');
    const [pd, pdx] = this.through(heap, dy, dx, n, 'tanhBackward');
    this.k.tanhBackward(py, pd, pdx, n);
    heap.writeBack(pdx, dx, n);
  }

  adamStep(
    p: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    args: Parameters<Backend['adamStep']>[4],
  ): void {
    if (!(f32(p) && f32(g) && f32(m) && f32(v))) return jsBackend.adamStep(p, g, m, v, args);
    const n = p.length;
    if (n === 0) return;
    const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = args;
    const heap = this.begin('adamStep');
    const pp = heap.input(p, n, 'adamStep');
    const pg = heap.input(g, n, 'adamStep');
    const pm = heap.input(m, n, 'adamStep');
    const pv = heap.input(v, n, 'adamStep');
    const stepSize = lr / (1 - Math.pow(beta1, step));
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
    const decay = decoupled ? 1 - lr * weightDecay : 1;
    const l2 = decoupled ? 0 : weightDecay;
    this.k.adamStep(
      pp,
      pg,
      pm,
      pv,
      n,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      eps,
      l2,
      decay,
      stepSize,
      sqrtBc2,
    );
    heap.writeBack(pp, p, n);
    heap.writeBack(pm, m, n);
    heap.writeBack(pv, v, n);
  }

  /** Stops the worker threads; any later call throws a BackendError. */
  dispose(): void {
    this.disposed = true;
    this.parallel?.pool.dispose();
  }

  /** Starts a call on an instance (the local one by default): frees its previous operands. */
  private begin(op: string, inst: KernelInstance = this.local): WasmHeap {
    if (this.disposed) throw new BackendError(`${op}: the wasm backend was disposed`);
    inst.heap.reset();
    return inst.heap;
  }

  /** Runs `kernel` (input offset, output offset) from x into out; see through(). */
  private rowsInPlace(
    x: Float32Array,
    out: Float32Array,
    n: number,
    op: string,
    kernel: (from: number, to: number) => void,
  ): void {
    if (n <= 0) return;
    const heap = this.begin(op);
    const [px, po] = this.through(heap, x, out, n, op);
    kernel(px, po);
    heap.writeBack(po, out, n);
  }

  /**
   * Offsets for a kernel that maps src to dst element for element (src may be overwritten only
   * when it is a copy). Resident arrays are used where they are; a copied src goes where dst is
   * written, so the kernel runs in place on it, as every kernel did before storage was resident.
   */
  private through(
    heap: WasmHeap,
    src: Float32Array,
    dst: Float32Array,
    n: number,
    op: string,
  ): [number, number] {
    const from = heap.input(src, n, op, heap.offsetOf(dst));
    return [from, heap.output(dst, n, op, heap.offsetOf(src) >= 0 ? -1 : from)];
  }
}

function overlaps(x: Float32Array, y: Float32Array): boolean {
  if (x.buffer !== y.buffer) return false;
  return x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}
