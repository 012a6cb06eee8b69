import { formatShape, record, ShapeError, zeros, type Tensor } from '../../core/index.js';
import type { RopeScaling } from './config.js';

/**
 * Rotary position embeddings (Su et al. 2021) in Hugging Face's layout: the head dim is split in
 * halves rather than interleaved pairs, rotate_half(x) = [-x2, x1], and
 * x' = x cos + rotate_half(x) sin with cos/sin = [cos(p f), cos(p f)] over the D/2 frequencies f.
 * Frequencies and angles are computed in float32, as Hugging Face does, so positions far out give
 * the same rounding.
 */

const f32 = Math.fround;

/** inv_freq[i] = 1 / theta^(2i / D), with the configured scaling applied to the frequencies. */
export function inverseFrequencies(
  headDim: number,
  theta: number,
  scaling: RopeScaling,
  seqLen = 0,
  maxPositions = Infinity,
): Float32Array {
  const half = headDim / 2;
  let base = theta;
  if (scaling.kind === 'dynamic' && seqLen > maxPositions) {
    const f = scaling.factor;
    base = theta * ((f * seqLen) / maxPositions - (f - 1)) ** (headDim / (headDim - 2));
  }
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = f32(1 / f32(base ** f32((2 * i) / headDim)));
  if (scaling.kind === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
    const lowWavelen = originalMaxPositions / lowFreqFactor;
    const highWavelen = originalMaxPositions / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowWavelen) inv[i] = f32(inv[i] / factor);
      else if (wavelen >= highWavelen) {
        const smooth =
          (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        inv[i] = f32((1 - smooth) * (inv[i] / factor) + smooth * inv[i]);
      }
    }
  }
  return inv;
}

/** cos and sin tables [rows, T, D] for positions [rows, T] (rows is 1 or the batch). */
export interface RotaryTables {
  cos: Float32Array;
  sin: Float32Array;
  rows: number;
  seq: number;
  dim: number;
}

export function rotaryTables(
  positions: ArrayLike<number>,
  rows: number,
  seq: number,
  headDim: number,
  theta: number,
  scaling: RopeScaling,
  maxPositions: number,
): RotaryTables {
  let maxPos = 0;
  for (let i = 0; i < positions.length; i++) maxPos = Math.max(maxPos, positions[i]);
  const inv = inverseFrequencies(headDim, theta, scaling, maxPos + 1, maxPositions);
  const linear = scaling.kind === 'linear' ? scaling.factor : 1;
  const half = headDim / 2;
  const cos = new Float32Array(rows * seq * headDim);
  const sin = new Float32Array(rows * seq * headDim);
  for (let r = 0; r < rows * seq; r++) {
    const p = f32(positions[r] / linear);
    for (let i = 0; i < half; i++) {
      const angle = f32(p * inv[i]);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[r * headDim + i] = cos[r * headDim + i + half] = c;
      sin[r * headDim + i] = sin[r * headDim + i + half] = s;
    }
  }
  return { cos, sin, rows, seq, dim: headDim };
}

/** x [B, H, T, D] -> x cos + rotate_half(x) sin, differentiable in x. */
export function applyRotary(x: Tensor, tables: RotaryTables): Tensor {
  const [B, H, T, D] = x.shape;
  if (
    x.rank !== 4 ||
    T !== tables.seq ||
    D !== tables.dim ||
    (tables.rows !== 1 && tables.rows !== B)
  ) {
    throw new ShapeError(
      `applyRotary: x ${formatShape(x.shape)} does not fit tables [${tables.rows}, ${tables.seq}, ${tables.dim}]`,
    );
  }
  const { cos, sin } = tables;
  const half = D / 2;
  const out = zeros(x.shape, { dtype: x.dtype === 'float64' ? 'float64' : 'float32' });
  const xd = x.data;
  const od = out.data;
  for (let b = 0; b < B; b++) {
    const tb = tables.rows === 1 ? 0 : b;
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const o = ((b * H + h) * T + t) * D;
        const c = (tb * T + t) * D;
        for (let j = 0; j < half; j++) {
          od[o + j] = xd[o + j] * cos[c + j] - xd[o + j + half] * sin[c + j];
          od[o + j + half] = xd[o + j + half] * cos[c + j + half] + xd[o + j] * sin[c + j + half];
        }
      }
    }
  }
  return record('applyRotary', [x], out, (g) => {
    const dx = zeros(x.shape, { dtype: g.dtype });
    const gd = g.data;
    const dd = dx.data;
    for (let b = 0; b < B; b++) {
      const tb = tables.rows === 1 ? 0 : b;
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < T; t++) {
          const o = ((b * H + h) * T + t) * D;
          const c = (tb * T + t) * D;
          for (let j = 0; j < half; j++) {
            dd[o + j] = gd[o + j] * cos[c + j] + gd[o + j + half] * sin[c + j + half];
            dd[o + j + half] = gd[o + j + half] * cos[c + j + half] - gd[o + j] * sin[c + j];
          }
        }
      }
    }
    return [dx];
  });
}
