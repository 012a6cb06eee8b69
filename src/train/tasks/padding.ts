/** Right-padding of variable-length rows into one [batch, length] int32 tensor. */
import { ShapeError, Tensor, ValueError } from '../../core/index.js';

export interface PaddingOptions {
  /** Round the padded length up to a multiple of this (kernels like multiples of 8). */
  padToMultipleOf?: number;
  /** Pad (or truncate, never silently: longer rows are an error) to exactly this length. */
  maxLength?: number;
}

/** The length rows are padded to. */
export function paddedLength(lengths: readonly number[], options: PaddingOptions = {}): number {
  const longest = lengths.length === 0 ? 0 : Math.max(...lengths);
  let L = options.maxLength ?? longest;
  if (longest > L) {
    throw new ShapeError(`padding: a row of length ${longest} exceeds maxLength ${L}`);
  }
  const m = options.padToMultipleOf;
  if (m !== undefined) {
    if (!Number.isInteger(m) || m < 1) {
      throw new ValueError(`padding: padToMultipleOf must be a positive integer, got ${m}`);
    }
    L = Math.ceil(L / m) * m;
  }
  return L;
}

/** Rows padded on the right with padValue to length L: an int32 [rows, L] tensor. */
export function padRows(rows: readonly ArrayLike<number>[], L: number, padValue: number): Tensor {
  const data = new Int32Array(rows.length * L).fill(padValue);
  rows.forEach((r, i) => {
    for (let j = 0; j < r.length; j++) data[i * L + j] = r[j]!;
  });
  return new Tensor(data, [rows.length, L]);
}

/** The attention mask of rows: the given masks padded with 0, or 1 for every real token. */
export function maskRows(
  lengths: readonly number[],
  masks: readonly (ArrayLike<number> | undefined)[],
  L: number,
): Tensor {
  const data = new Int32Array(lengths.length * L);
  lengths.forEach((n, i) => {
    const m = masks[i];
    for (let j = 0; j < n; j++) data[i * L + j] = m ? m[j]! : 1;
  });
  return new Tensor(data, [lengths.length, L]);
}

/** Token rows as every collator takes them: ids and, optionally, their own attention mask. */
export interface TokenRow {
  inputIds: ArrayLike<number>;
  attentionMask?: ArrayLike<number>;
}

/**
 * The rows' ids padded on the right with padTokenId and their attention mask, both [rows, L];
 * `who` names the collator in the error for an empty batch.
 */
export function padTokenRows(
  who: string,
  rows: readonly TokenRow[],
  padTokenId: number,
  options: PaddingOptions,
): { inputIds: Tensor; attentionMask: Tensor; L: number } {
  if (rows.length === 0) throw new ValueError(`${who}: got no examples`);
  const lengths = rows.map((r) => r.inputIds.length);
  const L = paddedLength(lengths, options);
  const inputIds = padRows(
    rows.map((r) => r.inputIds),
    L,
    padTokenId,
  );
  const attentionMask = maskRows(
    lengths,
    rows.map((r) => r.attentionMask),
    L,
  );
  return { inputIds, attentionMask, L };
}
