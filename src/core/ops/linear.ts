import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertFloat, assertSameDtype, newTensor, outputTensor } from './util.js';

export interface LinearOpOptions {
  /**
   * 'outIn': weight is [out, in] and y = x Wᵀ + b (torch.nn.Linear). 'inOut': weight is [in, out]
   * and y = x W + b (GPT-2's Conv1D).
   */
  weightLayout?: 'outIn' | 'inOut';
}

/**
 * A fused affine map over the last dim of x (torch.nn.functional.linear): the bias is written
 * into the output first and the GEMM accumulates onto it, so there is no separate broadcast add,
 * and all leading dims of x fold into one matrix product.
 */
export function linear(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: LinearOpOptions = {},
): Tensor {
  const outIn = (options.weightLayout ?? 'outIn') === 'outIn';
  assertFloat('linear', x, 'input');
  assertSameDtype('linear', x, weight);
  if (bias) assertSameDtype('linear', x, bias);
  const inF = x.shape[x.rank - 1];
  if (weight.rank !== 2 || (outIn ? weight.shape[1] : weight.shape[0]) !== inF || x.rank < 1) {
    throw new ShapeError(
      `linear: input ${formatShape(x.shape)} does not fit weight ${formatShape(weight.shape)} (${outIn ? '[out, in]' : '[in, out]'})`,
    );
  }
  const outF = outIn ? weight.shape[0] : weight.shape[1];
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(
      `linear: bias ${formatShape(bias.shape)} does not match ${outF} output features`,
    );
  }
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  // Every element is written: the bias rows below, or the GEMM with beta 0. With no input
  // features there is no GEMM, so the output starts from zeros (plus the bias).
  const outShape = [...x.shape.slice(0, -1), outF];
  const out = inF === 0 ? newTensor(outShape, x.dtype) : outputTensor(outShape, x.dtype);
  const od = out.data as FloatArray;
  if (bias && rows > 0) {
    // One row, then doubling copies: ~log2(rows) memmoves instead of one call per row.
    od.set(bias.data as FloatArray, 0);
    for (let filled = outF; filled < od.length; filled *= 2) {
      od.copyWithin(filled, 0, Math.min(filled, od.length - filled));
    }
  }
  const backend = backendFor(x.dtype);
  const gemm = (
    a: Tensor,
    b: Tensor,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    tA: boolean,
    tB: boolean,
    beta: number,
  ) =>
    backend.gemm(a.data as FloatArray, b.data as FloatArray, c, {
      batch: 1,
      m,
      n,
      k,
      transA: tA,
      transB: tB,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      alpha: 1,
      beta,
    });
  if (inF > 0) gemm(x, weight, od, rows, outF, inF, false, outIn, bias ? 1 : 0);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('linear', inputs, out, (g) => {
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (x.requiresGrad) {
      dx = outputTensor(x.shape, g.dtype);
      // dx = g W (outIn) or g Wᵀ (inOut)
      gemm(g, weight, dx.data as FloatArray, rows, inF, outF, false, !outIn, 0);
    }
    if (weight.requiresGrad) {
      dw = outputTensor(weight.shape, g.dtype);
      // dW = gᵀ x  [out, in]  or  xᵀ g  [in, out]
      if (outIn) gemm(g, x, dw.data as FloatArray, outF, inF, rows, true, false, 0);
      else gemm(x, g, dw.data as FloatArray, inF, outF, rows, true, false, 0);
    }
    if (bias?.requiresGrad) {
      db = newTensor(bias.shape, g.dtype);
      const gd = g.data;
      const dbd = db.data;
      // Four rows per pass over db: a quarter of the loads and stores of db (the loop was ~5% of
      // a gpt-step on blas).
      let r = 0;
      for (; r + 4 <= rows; r += 4) {
        const o = r * outF;
        const o2 = o + 2 * outF;
        for (let j = 0; j < outF; j++) {
          dbd[j] += gd[o + j] + gd[o + outF + j] + (gd[o2 + j] + gd[o2 + outF + j]);
        }
      }
      for (; r < rows; r++) {
        const o = r * outF;
        for (let j = 0; j < outF; j++) dbd[j] += gd[o + j];
      }
    }
    return bias ? [dx, dw, db] : [dx, dw];
  });
}
