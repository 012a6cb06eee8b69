import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { assertFloat, assertSameDtype, newTensor, outputTensor } from './util.js';

function checkAffine(op: string, x: Tensor, p: Tensor | null, name: string): void {
  if (!p) return;
  assertSameDtype(op, x, p);
  const cols = x.shape[x.rank - 1];
  if (p.rank !== 1 || p.shape[0] !== cols) {
    throw new ShapeError(
      `${op}: ${name} has shape ${formatShape(p.shape)}, expected [${cols}] for input ${formatShape(x.shape)}`,
    );
  }
}

/** Layer normalisation over the last dim (torch.nn.functional.layer_norm with one normalised dim). */
export function layerNorm(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps = 1e-5,
): Tensor {
  assertFloat('layerNorm', x);
  if (x.rank === 0) throw new ShapeError('layerNorm: input must have at least 1 dim');
  checkAffine('layerNorm', x, weight, 'weight');
  checkAffine('layerNorm', x, bias, 'bias');
  const cols = x.shape[x.rank - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = outputTensor(x.shape, x.dtype);
  const mean = outputTensor([rows], x.dtype);
  const rstd = outputTensor([rows], x.dtype);
  const backend = backendFor(x.dtype);
  const w = (weight?.data ?? null) as FloatArray | null;
  const b = (bias?.data ?? null) as FloatArray | null;
  backend.layerNormRows(
    x.data as FloatArray,
    w,
    b,
    out.data as FloatArray,
    mean.data as FloatArray,
    rstd.data as FloatArray,
    rows,
    cols,
    eps,
  );
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return record('layerNorm', inputs, out, (g) => {
    const dx = outputTensor(x.shape, g.dtype);
    const dw = weight?.requiresGrad ? newTensor(weight.shape, g.dtype) : null;
    const db = bias?.requiresGrad ? newTensor(bias.shape, g.dtype) : null;
    backend.layerNormBackwardRows(
      x.data as FloatArray,
      w,
      mean.data as FloatArray,
      rstd.data as FloatArray,
      g.data as FloatArray,
      dx.data as FloatArray,
      (dw?.data ?? null) as FloatArray | null,
      (db?.data ?? null) as FloatArray | null,
      rows,
      cols,
    );
    return [dx, ...(weight ? [dw] : []), ...(bias ? [db] : [])];
  });
}

/** RMS normalisation over the last dim (Llama's RMSNorm): x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  assertFloat('rmsNorm', x);
  if (x.rank === 0) throw new ShapeError('rmsNorm: input must have at least 1 dim');
  checkAffine('rmsNorm', x, weight, 'weight');
  const cols = x.shape[x.rank - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = newTensor(x.shape, x.dtype);
  const rstd = new Float64Array(rows);
  const xd = x.data;
  const wd = weight?.data;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ss = 0;
    for (let j = 0; j < cols; j++) ss += xd[o + j] * xd[o + j];
    const rs = 1 / Math.sqrt(ss / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) out.data[o + j] = xd[o + j] * rs * (wd ? wd[j] : 1);
  }
  const inputs = weight ? [x, weight] : [x];
  return record('rmsNorm', inputs, out, (g) => {
    // A frozen weight (LoRA on Llama) gets no gradient: nobody would read it.
    const dx = x.requiresGrad ? newTensor(x.shape, g.dtype) : null;
    const dw = weight?.requiresGrad ? newTensor(weight.shape, g.dtype) : null;
    const gd = g.data;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      const rs = rstd[r];
      // y = x * rs * w; dx = rs * (gw - xhat * mean(gw * xhat)), with xhat = x * rs, gw = g * w
      let dot = 0;
      for (let j = 0; j < cols; j++) {
        const gw = gd[o + j] * (wd ? wd[j] : 1);
        dot += gw * xd[o + j] * rs;
        if (dw) dw.data[j] += gd[o + j] * xd[o + j] * rs;
      }
      if (!dx) continue;
      dot /= cols;
      for (let j = 0; j < cols; j++) {
        const gw = gd[o + j] * (wd ? wd[j] : 1);
        dx.data[o + j] = rs * (gw - xd[o + j] * rs * dot);
      }
    }
    return weight ? [dx, dw] : [dx];
  });
}
