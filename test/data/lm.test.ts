/** LM corpora: group_texts blocks and seeded batches. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, groupTexts, lmBatches, tokenizeCorpus } from '../../src/data/index.js';
import { AutoTokenizer } from '../../src/text/index.js';

describe('groupTexts', () => {
  it('concatenates documents and drops the incomplete tail', () => {
    const blocks = groupTexts([[1, 2, 3], [4], [5, 6, 7, 8, 9]], 4);
    expect(blocks.map((b) => [...b])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    expect(() => groupTexts([], 0)).toThrow(DatasetError);
  });

  it('appends eos after each tokenized document', async () => {
    const tok = await AutoTokenizer.fromPretrained(
      join(import.meta.dirname, '../fixtures/text/byte-bpe'),
    );
    const docs = tokenizeCorpus(tok, ['In the beginning', 'God']);
    expect(docs[0]!.at(-1)).toBe(tok.eosTokenId);
    expect(tok.decode(docs.flat())).toBe('In the beginning<|endoftext|>God<|endoftext|>');
  });
});

describe('lmBatches', () => {
  const blocks = Array.from({ length: 10 }, (_, i) => Int32Array.from([i, i, i]));
  const order = (epoch: number, seed = 7): number[] =>
    [...lmBatches(blocks, epoch, { batchSize: 4, seed })].flatMap((b) => b.indices);

  it('visits every block once per epoch, in a seeded order', () => {
    expect([...order(0)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order(0)).toEqual(order(0));
    expect(order(1)).not.toEqual(order(0));
    expect(order(0, 8)).not.toEqual(order(0, 7));
  });

  it('lays rows out [batch, block] and can drop the last partial batch', () => {
    const batches = [
      ...lmBatches(blocks, 0, { batchSize: 4, seed: 1, shuffle: false, dropLast: true }),
    ];
    expect(batches).toHaveLength(2);
    expect([...batches[1]!.inputIds]).toEqual([4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7]);
  });
});
