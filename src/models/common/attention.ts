import {
  concat,
  formatShape,
  permute,
  reshape,
  ShapeError,
  type Tensor,
} from '../../core/index.js';
import type { LayerCache, ModelInputs, PastKeyValues } from './outputs.js';

/** [B, T, H * D] -> [B, H, T, D] */
export function splitHeads(x: Tensor, heads: number, headDim: number): Tensor {
  const [B, T] = x.shape;
  return permute(reshape(x, [B, T, heads, headDim]), [0, 2, 1, 3]);
}

/** [B, H, T, D] -> [B, T, H * D] */
export function mergeHeads(y: Tensor): Tensor {
  const [B, H, T, D] = y.shape;
  return reshape(permute(y, [0, 2, 1, 3]), [B, T, H * D]);
}

/** Keys/values with the cached ones in front; `present` is what the next call gets. */
export function withPast(
  k: Tensor,
  v: Tensor,
  past: LayerCache | undefined,
  op: string,
): LayerCache {
  if (!past) return { key: k, value: v };
  const ok =
    past.key.rank === 4 &&
    past.value.rank === 4 &&
    past.key.shape[0] === k.shape[0] &&
    past.key.shape[1] === k.shape[1] &&
    past.key.shape[3] === k.shape[3] &&
    past.value.shape[2] === past.key.shape[2] &&
    past.value.shape[3] === v.shape[3];
  if (!ok) {
    throw new ShapeError(
      `${op}: cached key ${formatShape(past.key.shape)} / value ${formatShape(past.value.shape)} do not fit new keys ${formatShape(k.shape)}`,
    );
  }
  return { key: concat([past.key, k], 2), value: concat([past.value, v], 2) };
}

/** The number of cached positions, checking there is one entry per layer. */
export function pastLength(past: PastKeyValues | undefined, layers: number, op: string): number {
  if (!past || past.length === 0) return 0;
  if (past.length !== layers) {
    throw new ShapeError(`${op}: pastKeyValues has ${past.length} layers, the model has ${layers}`);
  }
  return past[0].key.shape[2];
}

/** The input embeddings' [batch, seq], from inputIds or inputsEmbeds (exactly one of them). */
export function inputShape(inputs: ModelInputs, op: string): [number, number] {
  const { inputIds, inputsEmbeds } = inputs;
  if ((inputIds === undefined) === (inputsEmbeds === undefined)) {
    throw new ShapeError(`${op}: pass exactly one of inputIds and inputsEmbeds`);
  }
  if (inputIds) {
    if (inputIds.rank !== 2 || inputIds.dtype !== 'int32') {
      throw new ShapeError(
        `${op}: inputIds must be int32 [batch, seq], got ${inputIds.dtype} ${formatShape(inputIds.shape)}`,
      );
    }
    return [inputIds.shape[0], inputIds.shape[1]];
  }
  if (inputsEmbeds!.rank !== 3) {
    throw new ShapeError(
      `${op}: inputsEmbeds must be [batch, seq, hidden], got ${formatShape(inputsEmbeds!.shape)}`,
    );
  }
  return [inputsEmbeds!.shape[0], inputsEmbeds!.shape[1]];
}

/** Check an attention mask covers the cached and the new positions: [batch, past + seq]. */
export function checkAttentionMask(
  mask: Tensor | undefined,
  batch: number,
  keys: number,
  op: string,
): void {
  if (!mask) return;
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== keys) {
    throw new ShapeError(
      `${op}: attentionMask must be [batch, past + seq] = [${batch}, ${keys}], got ${formatShape(mask.shape)}`,
    );
  }
}

/** Check int32 [batch, seq] ids of another kind (tokenTypeIds, positionIds). */
export function checkIds(ids: Tensor | undefined, batch: number, seq: number, what: string): void {
  if (!ids) return;
  if (ids.rank !== 2 || ids.shape[0] !== batch || ids.shape[1] !== seq || ids.dtype !== 'int32') {
    throw new ShapeError(
      `${what} must be int32 [${batch}, ${seq}], got ${ids.dtype} ${formatShape(ids.shape)}`,
    );
  }
}
