import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { transpose } from './shape-ops.js';
import { assertFloat, outputTensor } from './util.js';

/** Apply a last-axis op along any axis by moving that axis last and back. */
function alongAxis(x: Tensor, axis: number, op: string, lastAxis: (t: Tensor) => Tensor): Tensor {
  const ax = normalizeAxis(op, axis, x.rank);
  if (ax === x.rank - 1 || x.rank === 0) return lastAxis(x); // a 0-d tensor is one row of one
  return transpose(lastAxis(transpose(x, ax, -1)), ax, -1);
}

export function softmax(x: Tensor, axis = -1): Tensor {
  assertFloat('softmax', x);
  return alongAxis(x, axis, 'softmax', softmaxLast);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertFloat('logSoftmax', x);
  return alongAxis(x, axis, 'logSoftmax', logSoftmaxLast);
}

function rowsCols(x: Tensor): [number, number] {
  const cols = x.rank === 0 ? 1 : x.shape[x.rank - 1];
  return [cols === 0 ? 0 : x.size / cols, cols];
}

function softmaxLast(x: Tensor): Tensor {
  const [rows, cols] = rowsCols(x);
  const out = outputTensor(x.shape, x.dtype);
  backendFor(x.dtype).softmaxRows(x.data as FloatArray, out.data as FloatArray, rows, cols);
  return record('softmax', [x], out, (g) => {
    const dx = outputTensor(x.shape, g.dtype);
    backendFor(g.dtype).softmaxBackwardRows(
      out.data as FloatArray,
      g.data as FloatArray,
      dx.data as FloatArray,
      rows,
      cols,
    );
    return [dx];
  });
}

function logSoftmaxLast(x: Tensor): Tensor {
  const [rows, cols] = rowsCols(x);
  const out = outputTensor(x.shape, x.dtype);
  backendFor(x.dtype).logSoftmaxRows(x.data as FloatArray, out.data as FloatArray, rows, cols);
  return record('logSoftmax', [x], out, (g) => {
    // dx = g - softmax(x) * sum(g) per row
    const dx = outputTensor(x.shape, g.dtype);
    const gd = g.data;
    const od = out.data;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += gd[o + j];
      for (let j = 0; j < cols; j++) dx.data[o + j] = gd[o + j] - Math.exp(od[o + j]) * s;
    }
    return [dx];
  });
}
