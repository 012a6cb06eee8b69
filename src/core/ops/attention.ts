import { ShapeError, ValueError } from '../errors.js';
import type { Generator } from '../rng.js';
import { formatShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { add } from './binary.js';
import { dropout } from './dropout.js';
import { matmul } from './matmul.js';
import { concat } from './shape-ops.js';
import { softmax } from './softmax.js';
import { scale as scaleOp } from './unary.js';
import { newTensor, outputTensor } from './util.js';
import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';

export interface AttentionOptions {
  /** Each query attends only to keys at or before its own position. */
  causal?: boolean;
  /**
   * Key padding mask [batch, keys] (1 = attend, 0 = padding), covering the keys passed (not the
   * prefix, which is always visible).
   */
  keyPaddingMask?: Tensor;
  /** An additive float mask broadcastable to [batch, heads, queries, keys + prefix]. */
  attnMask?: Tensor;
  /** Extra keys/values [batch, heads, prefix, dim] prepended to k/v (prefix tuning). */
  prefixKeys?: Tensor;
  prefixValues?: Tensor;
  /** Defaults to 1/sqrt(head dim). */
  scale?: number;
  dropoutP?: number;
  rng?: Generator;
  training?: boolean;
}

/**
 * softmax(q kᵀ * scale + mask) v over q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv].
 * With causal masking and Tq < Tk (a KV cache), queries are the last Tq positions. A query that
 * can see no key gets zeros (rather than NaN).
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new ShapeError(
      `scaledDotProductAttention: q, k, v must be [batch, heads, seq, dim], got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`,
    );
  }
  const [B, H, Tq, D] = q.shape;
  if (
    k.shape[0] !== B ||
    k.shape[1] !== H ||
    k.shape[3] !== D ||
    v.shape[0] !== B ||
    v.shape[1] !== H ||
    v.shape[2] !== k.shape[2]
  ) {
    throw new ShapeError(
      `scaledDotProductAttention: incompatible q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`,
    );
  }
  const Tk = k.shape[2];
  let keys = k;
  let values = v;
  let P = 0;
  if (options.prefixKeys || options.prefixValues) {
    const pk = options.prefixKeys;
    const pv = options.prefixValues;
    if (
      !pk ||
      !pv ||
      pk.rank !== 4 ||
      pk.shape[0] !== B ||
      pk.shape[1] !== H ||
      pk.shape[3] !== D ||
      pv.shape[2] !== pk.shape[2]
    ) {
      throw new ShapeError(
        `scaledDotProductAttention: prefixKeys ${pk ? formatShape(pk.shape) : 'missing'} and prefixValues ${pv ? formatShape(pv.shape) : 'missing'} must both be [${B}, ${H}, prefix, ${D}]`,
      );
    }
    if (pv.rank !== 4 || pv.shape[0] !== B || pv.shape[1] !== H || pv.shape[3] !== v.shape[3]) {
      throw new ShapeError(
        `scaledDotProductAttention: prefixValues ${formatShape(pv.shape)} must be [${B}, ${H}, ${pk.shape[2]}, ${v.shape[3]}]`,
      );
    }
    P = pk.shape[2];
    keys = concat([pk, k], 2);
    values = concat([pv, v], 2);
  }
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const mask = buildMask(B, Tq, Tk, P, options, q);
  let probs: Tensor;
  if (options.attnMask) {
    let scores = scaleOp(matmul(q, keys, { transB: true }), scale);
    if (mask) scores = add(scores, mask);
    probs = softmax(add(scores, options.attnMask), -1);
  } else {
    probs = scaledMaskedSoftmax(matmul(q, keys, { transB: true }), scale, mask);
  }
  if (options.dropoutP && options.training !== false) {
    if (!options.rng) {
      throw new ValueError(
        `scaledDotProductAttention: dropoutP ${options.dropoutP} needs an rng (a seeded Generator)`,
      );
    }
    probs = dropout(probs, options.dropoutP, options.rng, true);
  }
  return matmul(probs, values);
}

/**
 * softmax(x * scale + mask) over the last dim in one pass and one output buffer, instead of a
 * scale, a broadcast add and a softmax each allocating and walking the [B, H, Tq, K] scores. The
 * mask [B or 1, 1, Tq, K] is built here, so it never needs a gradient.
 */
function scaledMaskedSoftmax(x: Tensor, scale: number, mask: Tensor | null): Tensor {
  const [B, H, Tq, K] = x.shape;
  const out = outputTensor(x.shape, x.dtype);
  const xd = x.data;
  const od = out.data as FloatArray;
  const md = mask?.data;
  const maskBatch = mask ? mask.shape[0] : 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < Tq; i++) {
        const row = ((b * H + h) * Tq + i) * K;
        if (md) {
          const mrow = ((maskBatch === 1 ? 0 : b) * Tq + i) * K;
          for (let j = 0; j < K; j++) od[row + j] = xd[row + j] * scale + md[mrow + j];
        } else {
          for (let j = 0; j < K; j++) od[row + j] = xd[row + j] * scale;
        }
      }
    }
  }
  const rows = B * H * Tq;
  const backend = backendFor(x.dtype);
  backend.softmaxRows(od, od, rows, K);
  return record('scaledMaskedSoftmax', [x], out, (g) => {
    const dx = outputTensor(x.shape, g.dtype);
    const dd = dx.data as FloatArray;
    backend.softmaxBackwardRows(od, g.data as FloatArray, dd, rows, K);
    if (scale !== 1) for (let i = 0; i < dd.length; i++) dd[i] *= scale;
    return [dx];
  });
}

/** Additive -Infinity mask [B or 1, 1, Tq, P + Tk] from causal and padding options, or null. */
function buildMask(
  B: number,
  Tq: number,
  Tk: number,
  P: number,
  options: AttentionOptions,
  like: Tensor,
): Tensor | null {
  const pad = options.keyPaddingMask;
  if (!options.causal && !pad) return null;
  if (pad && (pad.rank !== 2 || pad.shape[0] !== B || pad.shape[1] !== Tk)) {
    throw new ShapeError(
      `scaledDotProductAttention: keyPaddingMask must be [${B}, ${Tk}], got ${formatShape(pad.shape)}`,
    );
  }
  const total = P + Tk;
  const batch = pad ? B : 1;
  const mask = newTensor([batch, 1, Tq, total], like.dtype);
  const offset = Tk - Tq; // query i sits at key position i + offset
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < Tq; i++) {
      const row = (b * Tq + i) * total;
      for (let j = 0; j < Tk; j++) {
        const hidden = (options.causal && j > i + offset) || (pad && pad.data[b * Tk + j] === 0);
        if (hidden) mask.data[row + P + j] = -Infinity;
      }
    }
  }
  return mask;
}
