import { embedding as lookup, Tensor, ValueError, type Generator } from '../../core/index.js';
import { Embedding, Module, type Parameter } from '../../nn/index.js';
import type { PromptTokenizer } from '../registry.js';

/**
 * PEFT's PromptEmbedding: the soft prompt itself, `embedding.weight` [num_virtual_tokens,
 * token_dim], saved as `prompt_embeddings`.
 */
export class PromptEmbedding extends Module {
  embedding: Embedding;

  constructor(
    numVirtualTokens: number,
    tokenDim: number,
    rng: Generator | null,
    dtype: 'float32' | 'float64',
  ) {
    super();
    this.embedding = new Embedding(
      numVirtualTokens,
      tokenDim,
      rng ? { rng, dtype } : { skipInit: true, dtype },
    );
  }

  /** The prompt vectors [num_virtual_tokens, token_dim]. */
  forward(): Parameter {
    return this.embedding.weight;
  }

  /** Copy rows of the word embeddings (TEXT / SAMPLE_VOCAB init). */
  initFromIds(wordEmbeddings: Embedding, ids: readonly number[]): void {
    const n = this.embedding.numEmbeddings;
    if (ids.length !== n) throw new ValueError(`PromptEmbedding: need ${n} ids, got ${ids.length}`);
    for (const id of ids) {
      if (!(Number.isInteger(id) && id >= 0 && id < wordEmbeddings.numEmbeddings)) {
        throw new ValueError(
          `PromptEmbedding: token id ${id} is outside the vocabulary (${wordEmbeddings.numEmbeddings})`,
        );
      }
    }
    const rows = lookup(wordEmbeddings.weight.detach(), new Tensor(Int32Array.from(ids), [n]));
    this.embedding.weight.data.set(rows.data);
  }
}

/**
 * PEFT's TEXT init ids: the text's token ids (special tokens included, as tokenizer(text) gives),
 * cut to n, or repeated ceil(n / len) times and cut.
 */
export function textInitIds(tokenizer: PromptTokenizer, text: string, n: number): number[] {
  const ids = [...tokenizer.encode(text).ids];
  if (ids.length === 0)
    throw new ValueError(`prompt tuning: init text ${JSON.stringify(text)} has no tokens`);
  if (ids.length >= n) return ids.slice(0, n);
  const reps = Math.ceil(n / ids.length);
  return Array.from({ length: reps }, () => ids)
    .flat()
    .slice(0, n);
}
