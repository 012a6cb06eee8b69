import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, formatShape, sameShape, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { expandTo, sumTo } from './reduce.js';
import { assertFloat, assertSameDtype, outputTensor } from './util.js';

export interface MatmulOptions {
  /** Use a's last two dims transposed (a is [..., k, m]). */
  transA?: boolean;
  /** Use b's last two dims transposed (b is [..., n, k]); Linear layers use this. */
  transB?: boolean;
}

/**
 * Batched matrix product over the last two dims, with NumPy-style broadcast of the batch dims and
 * transposes folded into the kernel (no copies). 1-D operands are not promoted: pass 2-D.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  assertFloat('matmul', a, 'a');
  assertFloat('matmul', b, 'b');
  assertSameDtype('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) {
    throw new ShapeError(
      `matmul: both operands need at least 2 dims, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`,
    );
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dims differ: a ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} has k=${k}, b ${formatShape(b.shape)}${transB ? 'ᵀ' : ''} has k=${kb}`,
    );
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (batchA.length > 0 && batchB.length > 0) {
    try {
      broadcastShapes('matmul', batchA, batchB);
    } catch {
      throw new ShapeError(
        `matmul: batch dims of a ${formatShape(a.shape)} and b ${formatShape(b.shape)} cannot be broadcast`,
      );
    }
  }
  const out = gemmForward(a, b, m, n, k, transA, transB);
  return record('matmul', [a, b], out, (g) => {
    // C = op(A) op(B):  d op(A) = G op(B)ᵀ,  d op(B) = op(A)ᵀ G; transposes fold back into flags.
    const da = a.requiresGrad
      ? transA
        ? gemmForward(b, g, k, m, n, transB, true) // dA = op(B) Gᵀ  (A stored [k,m])
        : gemmForward(g, b, m, k, n, false, !transB) // dA = G op(B)ᵀ
      : null;
    const db = !b.requiresGrad
      ? null
      : b.rank === 2 && a.rank > 2 && !transA
        ? foldedWeightGrad(a, g, n, k, transB)
        : transB
          ? gemmForward(g, a, n, k, m, true, transA) // dB = Gᵀ op(A)  (B stored [n,k])
          : gemmForward(a, g, k, n, m, !transA, false); // dB = op(A)ᵀ G
    return [da && reduceBatch(da, a.shape), db && reduceBatch(db, b.shape)];
  });
}

/** dW for x[..., m, k] @ op(W): one GEMM over all rows instead of a batch of them and a sum. */
function foldedWeightGrad(a: Tensor, g: Tensor, n: number, k: number, transB: boolean): Tensor {
  // Rows counted from the leading dims, not size / k, which is 0/0 when k is 0.
  const rows = sizeOf(a.shape.slice(0, -1));
  const a2 = new Tensor(a.data, [rows, k]);
  const g2 = new Tensor(g.data, [rows, n]);
  return transB
    ? gemmForward(g2, a2, n, k, rows, true, false)
    : gemmForward(a2, g2, k, n, rows, true, false);
}

function reduceBatch(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  if (grad.size === shape.reduce((p, d) => p * d, 1)) return new Tensor(grad.data, shape);
  return sumTo(grad, shape);
}

/** out[..., m, n] = op(x) op(y), broadcasting batch dims; x, y stored as described by flags. */
function gemmForward(
  x: Tensor,
  y: Tensor,
  m: number,
  n: number,
  k: number,
  transX: boolean,
  transY: boolean,
): Tensor {
  const xb = x.shape.slice(0, -2);
  const yb = y.shape.slice(0, -2);
  const backend = backendFor(x.dtype);
  // A 2-D right operand with an untransposed left: fold the left batch into m (one big GEMM).
  if (yb.length === 0 && !transX) {
    const rows = sizeOf(x.shape.slice(0, -1));
    const out = outputTensor([...xb, m, n], x.dtype);
    backend.gemm(x.data as FloatArray, y.data as FloatArray, out.data as FloatArray, {
      batch: 1,
      m: rows,
      n,
      k,
      transA: false,
      transB: transY,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      alpha: 1,
      beta: 0,
    });
    return out;
  }
  const batchShape = broadcastShapes('matmul', xb, yb);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const xBatch = xb.reduce((p, d) => p * d, 1);
  const yBatch = yb.reduce((p, d) => p * d, 1);
  // Operands whose batch is neither full nor a single matrix are materialised at full batch.
  const xs =
    xBatch === batch || xBatch === 1 ? x : expandTo(x, [...batchShape, ...x.shape.slice(-2)]);
  const ys =
    yBatch === batch || yBatch === 1 ? y : expandTo(y, [...batchShape, ...y.shape.slice(-2)]);
  const out = outputTensor([...batchShape, m, n], x.dtype);
  backend.gemm(xs.data as FloatArray, ys.data as FloatArray, out.data as FloatArray, {
    batch,
    m,
    n,
    k,
    transA: transX,
    transB: transY,
    strideA: xs.size === m * k ? 0 : m * k,
    strideB: ys.size === k * n ? 0 : k * n,
    strideC: m * n,
    alpha: 1,
    beta: 0,
  });
  return out;
}
