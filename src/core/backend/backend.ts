import type { FloatArray } from '../dtype.js';
import type { Arena } from '../memory/arena.js';

/**
 * One (batched) matrix product, row-major:
 *   for b in 0..batch-1:  C_b = alpha * op(A_b) @ op(B_b) + beta * C_b
 * op(A_b) is m x k; A_b is stored [m,k], or [k,m] when transA. op(B_b) is k x n; B_b is stored
 * [k,n], or [n,k] when transB. C_b is [m,n], contiguous. Matrix b of A starts at element
 * b * strideA (strideA 0 broadcasts one matrix over the batch); likewise B and C.
 * beta is 0 (overwrite C) or 1 (accumulate into C); other values are allowed but rare.
 */
export interface GemmArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  strideA: number;
  strideB: number;
  strideC: number;
  alpha: number;
  beta: number;
}

/**
 * The kernels a backend provides. The js backend implements every kernel for float32 and float64;
 * wasm and blas implement float32 and hand float64 (gradient checks) to js. Kernels read and
 * write the arrays given; they never keep references to them after returning.
 *
 * Row kernels treat x as `rows` contiguous rows of `cols` elements.
 */
export interface Backend {
  readonly name: 'js' | 'wasm' | 'blas';
  /** Threads the heavy kernels use (1 for js). */
  readonly threads: number;
  /**
   * Memory the kernels work on in place (wasm): while this backend is active, new float32
   * storage is allocated there when it fits (core/memory/arena.ts).
   */
  readonly arena?: Arena | null;

  gemm(a: FloatArray, b: FloatArray, c: FloatArray, args: GemmArgs): void;

  /** out = softmax(x) along rows. */
  softmaxRows(x: FloatArray, out: FloatArray, rows: number, cols: number): void;
  /** dx = y * (dy - sum(dy * y)) along rows, where y = softmax(x). */
  softmaxBackwardRows(
    y: FloatArray,
    dy: FloatArray,
    dx: FloatArray,
    rows: number,
    cols: number,
  ): void;
  /** out = x - logsumexp(x) along rows. */
  logSoftmaxRows(x: FloatArray, out: FloatArray, rows: number, cols: number): void;

  /**
   * LayerNorm over the last dim: out = (x - mean) * rstd * gamma + beta. gamma/beta may be null
   * (no affine). mean and rstd (length rows) are written for the backward pass.
   */
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
  ): void;
  /** Gradients of layerNormRows. dgamma/dbeta are accumulated into (+=), dx is overwritten. */
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
  ): void;

  /** Elementwise GELU, exact (erf) or tanh approximation. */
  gelu(x: FloatArray, out: FloatArray, approximate: 'none' | 'tanh'): void;
  /** dx = dy * gelu'(x). */
  geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: 'none' | 'tanh'): void;

  /**
   * out[j] += sum over rows of x[r, j] for x [rows, cols], added row by row in out's precision
   * (a linear layer's bias gradient).
   */
  addColumnSums(x: FloatArray, out: FloatArray, rows: number, cols: number): void;

  /**
   * Elementwise tanh (out may be x). float32 uses a rational approximation evaluated in float64
   * (within 4 float32 ulps of Math.tanh); every backend gives the same bits for it.
   */
  tanh(x: FloatArray, out: FloatArray): void;
  /** dx = dy * (1 - y^2), where y = tanh(x); dx may be dy or y. */
  tanhBackward(y: FloatArray, dy: FloatArray, dx: FloatArray): void;

  /**
   * One fused Adam/AdamW update of a parameter in place (PyTorch semantics):
   *   g' = g + weightDecay*p (Adam, L2) ; p *= 1 - lr*weightDecay (AdamW, decoupled)
   *   m = b1*m + (1-b1)*g' ; v = b2*v + (1-b2)*g'^2
   *   p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
   */
  adamStep(
    p: FloatArray,
    g: FloatArray,
    m: FloatArray,
    v: FloatArray,
    args: {
      lr: number;
      beta1: number;
      beta2: number;
      eps: number;
      weightDecay: number;
      decoupled: boolean;
      step: number;
    },
  ): void;
}
