import { indexSelect, reshape, Tensor, ValueError } from '../../core/index.js';

/**
 * Hugging Face's decoder-classifier pooling: each row's logits at its last non-padding token
 * (the rightmost position whose id is not pad_token_id, so left and right padding both work).
 * Without a pad token only batches of one are unambiguous; with inputsEmbeds the last position
 * is used.
 */
export function lastTokenPool(
  logits: Tensor,
  inputIds: Tensor | undefined,
  padTokenId: number | null,
): Tensor {
  const [B, T, L] = logits.shape;
  const rows = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let last = T - 1;
    if (inputIds && padTokenId !== null) {
      last = 0;
      for (let t = T - 1; t >= 0; t--) {
        if (inputIds.data[b * T + t] !== padTokenId) {
          last = t;
          break;
        }
      }
    } else if (inputIds && B > 1) {
      throw new ValueError(
        "sequence classification: batches larger than 1 need pad_token_id in the config to find each row's last token",
      );
    }
    rows[b] = b * T + last;
  }
  return indexSelect(reshape(logits, [B * T, L]), 0, new Tensor(rows, [B]));
}
