import type { FloatArray } from '../../dtype.js';
import { BackendError, ShapeError, ValueError } from '../../errors.js';
import type { Backend, GemmArgs } from '../backend.js';
import { jsBackend } from '../js.js';
import { loadAddon } from './addon.js';

export interface BlasOptions {
  /**
   * OpenBLAS threads for this backend's gemm. OpenBLAS holds one process-wide setting, so the
   * backend re-applies it before each call when another backend changed it. Default: OpenBLAS's
   * own (OPENBLAS_NUM_THREADS, else the core count).
   */
  threads?: number;
  /**
   * The backend whose other kernels (softmax, LayerNorm, GELU, Adam) this one uses: BLAS covers
   * only gemm. useBackend passes a one-thread wasm backend (4-10x faster than js on these, see
   * wasm/backend.ts); default js. Disposing the blas backend disposes it.
   */
  rows?: Backend & { dispose?: () => void };
}

/** Whether the OpenBLAS addon is built and loads (libopenblas-dev, then `npm run build:blas`). */
export function blasAvailable(): boolean {
  return 'addon' in loadAddon();
}

/** The OpenBLAS build the addon links against, or null when the addon is unavailable. */
export function blasConfig(): string | null {
  const load = loadAddon();
  return 'addon' in load ? load.addon.config() : null;
}

/**
 * The system-BLAS backend. BLAS only accelerates gemm, and only for float32 (float64 runs on the
 * js reference, as gradient checks expect); every other kernel is `options.rows`'s.
 */
export function createBlasBackend(options: BlasOptions = {}): Backend & { dispose(): void } {
  const load = loadAddon();
  if (!('addon' in load)) {
    throw new BackendError(
      'blas backend: the OpenBLAS addon is not built; install libopenblas-dev (Debian/Ubuntu) ' +
        `and run \`npm run build:blas\` (${load.error.message})`,
      { cause: load.error },
    );
  }
  const addon = load.addon;
  const threads = options.threads;
  if (threads !== undefined) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
      throw new ValueError(
        `createBlasBackend: threads must be an integer in [1, 1024], got ${threads}`,
      );
    }
    addon.setThreads(threads);
  }

  const rows = options.rows ?? jsBackend;
  return {
    softmaxRows: rows.softmaxRows.bind(rows),
    softmaxBackwardRows: rows.softmaxBackwardRows.bind(rows),
    logSoftmaxRows: rows.logSoftmaxRows.bind(rows),
    layerNormRows: rows.layerNormRows.bind(rows),
    layerNormBackwardRows: rows.layerNormBackwardRows.bind(rows),
    gelu: rows.gelu.bind(rows),
    geluBackward: rows.geluBackward.bind(rows),
    addColumnSums: rows.addColumnSums.bind(rows),
    tanh: rows.tanh.bind(rows),
    tanhBackward: rows.tanhBackward.bind(rows),
    adamStep: rows.adamStep.bind(rows),
    dispose: () => options.rows?.dispose?.(),
    arena: rows.arena ?? null,
    name: 'blas',
    get threads() {
      return threads ?? addon.getThreads();
    },
    gemm(a, b, c, args) {
      if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
        jsBackend.gemm(a, b, c, args);
        return;
      }
      checkGemm(a, b, c, args);
      if (threads !== undefined && addon.getThreads() !== threads) addon.setThreads(threads);
      const { batch, m, n, k, transA, transB, strideA, strideB, strideC, alpha, beta } = args;
      addon.gemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, alpha, beta);
    },
  };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Everything the C side relies on, checked before crossing into it: C reads raw memory, so an
 * array shorter than the shapes need would crash the process instead of throwing.
 */
export function checkGemm(a: FloatArray, b: FloatArray, c: FloatArray, args: GemmArgs): void {
  const { batch, m, n, k, strideA, strideB, strideC, alpha, beta } = args;
  for (const [name, v] of Object.entries({ batch, m, n, k })) {
    if (!Number.isInteger(v) || v < 0 || v > INT32_MAX) {
      throw new ShapeError(`gemm: ${name} must be an integer in [0, ${INT32_MAX}], got ${v}`);
    }
  }
  for (const [name, v] of Object.entries({ strideA, strideB, strideC })) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new ShapeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
    }
  }
  if (typeof alpha !== 'number' || typeof beta !== 'number') {
    throw new ValueError(`gemm: alpha and beta must be numbers, got ${alpha} and ${beta}`);
  }
  const sizes = `batch=${batch}, m=${m}, n=${n}, k=${k}`;
  const need = (stride: number, size: number): number =>
    batch === 0 || size === 0 ? 0 : (batch - 1) * stride + size;
  const arrays: [string, FloatArray, number, string, number][] = [
    ['a', a, m * k, 'strideA', strideA],
    ['b', b, k * n, 'strideB', strideB],
    ['c', c, m * n, 'strideC', strideC],
  ];
  for (const [name, arr, size, strideName, stride] of arrays) {
    const needed = need(stride, size);
    if (arr.length < needed) {
      throw new ShapeError(
        `gemm: '${name}' has ${arr.length} elements but ${sizes}, transA=${args.transA}, ` +
          `transB=${args.transB}, ${strideName}=${stride} need ${needed}`,
      );
    }
  }
  if (overlaps(c, a) || overlaps(c, b)) {
    throw new ValueError('gemm: c shares memory with a or b; BLAS needs a separate output');
  }
}

function overlaps(x: FloatArray, y: FloatArray): boolean {
  if (x.buffer !== y.buffer) return false;
  return x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}
