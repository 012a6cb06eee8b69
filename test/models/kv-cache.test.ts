import { describe, expect, it } from 'vitest';
import { Generator, noGrad, slice, Tensor } from '../../src/core/index.js';
import {
  GPT2LMHeadModel,
  LlamaForCausalLM,
  generate,
  type CausalLMModel,
  type PastKeyValues,
} from '../../src/models/index.js';
import { maxAbsDiff } from './helpers.js';

/**
 * The cached path must compute what the full forward computes: logits of a prefix pass followed
 * by single-token passes over the cache equal the logits of one pass over the whole sequence.
 */

const models: [string, () => CausalLMModel][] = [
  [
    'GPT-2',
    () =>
      new GPT2LMHeadModel(
        { vocab_size: 60, n_positions: 32, n_embd: 24, n_layer: 3, n_head: 3 },
        { rng: new Generator(1) },
      ).eval(),
  ],
  [
    'Llama (GQA)',
    () =>
      new LlamaForCausalLM(
        {
          vocab_size: 60,
          hidden_size: 24,
          intermediate_size: 40,
          num_hidden_layers: 3,
          num_attention_heads: 6,
          num_key_value_heads: 2,
          rope_theta: 100,
        },
        { rng: new Generator(2) },
      ).eval(),
  ],
  [
    'Llama (tied, llama3 rope)',
    () =>
      new LlamaForCausalLM(
        {
          vocab_size: 60,
          hidden_size: 16,
          intermediate_size: 32,
          num_hidden_layers: 2,
          num_attention_heads: 2,
          tie_word_embeddings: true,
          rope_scaling: {
            rope_type: 'llama3',
            factor: 8,
            low_freq_factor: 1,
            high_freq_factor: 4,
            original_max_position_embeddings: 8,
          },
        },
        { rng: new Generator(3) },
      ).eval(),
  ],
];

function randomIds(rng: Generator, B: number, T: number, V: number): Tensor {
  return new Tensor(
    Int32Array.from({ length: B * T }, () => rng.int(V)),
    [B, T],
  );
}

/** Row-major logits [B, T, V] rebuilt from per-step [B, t, V] pieces. */
function stitch(pieces: Tensor[], B: number, V: number): Float32Array {
  const T = pieces.reduce((s, p) => s + p.shape[1], 0);
  const out = new Float32Array(B * T * V);
  let t0 = 0;
  for (const p of pieces) {
    const t = p.shape[1];
    for (let b = 0; b < B; b++) {
      out.set(p.data.subarray(b * t * V, (b + 1) * t * V), (b * T + t0) * V);
    }
    t0 += t;
  }
  return out;
}

describe('KV cache', () => {
  for (const [name, make] of models) {
    it(`${name}: prefix + one token at a time equals the full forward`, () => {
      const model = make();
      const rng = new Generator(10);
      const B = 2;
      const T = 9;
      const V = 60;
      const inputIds = randomIds(rng, B, T, V);
      const full = noGrad(() => model.forward({ inputIds }).logits);
      const pieces: Tensor[] = [];
      let past: PastKeyValues | undefined;
      const steps = [4, 1, 2, 1, 1]; // prefix of 4, then mixed chunk sizes
      let t = 0;
      for (const n of steps) {
        const out = noGrad(() =>
          model.forward({
            inputIds: slice(inputIds, 1, t, t + n),
            pastKeyValues: past,
            useCache: true,
          }),
        );
        pieces.push(out.logits);
        past = out.pastKeyValues;
        t += n;
      }
      const config = model.config as { n_layer?: number; num_hidden_layers?: number };
      expect(past).toHaveLength(config.n_layer ?? config.num_hidden_layers!);
      expect(past![0].key.shape[2]).toBe(T);
      expect(maxAbsDiff(stitch(pieces, B, V), full.data)).toBeLessThan(1e-5);
    });

    it(`${name}: cache with a left-padded attention mask and position ids`, () => {
      const model = make();
      const rng = new Generator(11);
      const V = 60;
      // Row 0 has two pad tokens on the left; positions skip them, as generate computes them.
      const inputIds = randomIds(rng, 2, 6, V);
      const mask = new Tensor(Int32Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), [2, 6]);
      const positions = new Tensor(Int32Array.from([1, 1, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5]), [2, 6]);
      const full = noGrad(
        () => model.forward({ inputIds, attentionMask: mask, positionIds: positions }).logits,
      );
      const first = noGrad(() =>
        model.forward({
          inputIds: slice(inputIds, 1, 0, 5),
          attentionMask: slice(mask, 1, 0, 5),
          positionIds: slice(positions, 1, 0, 5),
          useCache: true,
        }),
      );
      const last = noGrad(() =>
        model.forward({
          inputIds: slice(inputIds, 1, 5, 6),
          attentionMask: mask,
          positionIds: slice(positions, 1, 5, 6),
          pastKeyValues: first.pastKeyValues,
          useCache: true,
        }),
      );
      // Compare the real (non-padding) positions; fully masked pad queries are undefined in HF too.
      const stitched = stitch([first.logits, last.logits], 2, V);
      const realRows = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
      for (const r of realRows) {
        const a = stitched.subarray(r * V, (r + 1) * V);
        const b = full.data.subarray(r * V, (r + 1) * V);
        expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
      }
      // A left-padded row equals the same tokens alone without padding.
      const alone = noGrad(
        () => model.forward({ inputIds: slice(slice(inputIds, 0, 0, 1), 1, 2, 6) }).logits,
      );
      expect(maxAbsDiff(alone.data, full.data.subarray(2 * V, 6 * V))).toBeLessThan(1e-5);
    });

    it(`${name}: generate gives the same tokens with and without the cache`, () => {
      const model = make();
      const prompt = randomIds(new Generator(12), 2, 3, 60);
      const options = { maxNewTokens: 8, eosTokenId: null };
      const cached = generate(model, prompt, { ...options, useCache: true });
      const uncached = generate(model, prompt, { ...options, useCache: false });
      expect(Array.from(cached.data)).toEqual(Array.from(uncached.data));
      const sampleOpts = { ...options, doSample: true, temperature: 0.9, topK: 20 };
      const s1 = generate(model, prompt, { ...sampleOpts, rng: new Generator(5), useCache: true });
      const s2 = generate(model, prompt, { ...sampleOpts, rng: new Generator(5), useCache: false });
      expect(Array.from(s1.data)).toEqual(Array.from(s2.data));
    });
  }

  it('GPT-2 rejects positions beyond n_positions, counting the cache', () => {
    const model = models[0][1]();
    const out = noGrad(() =>
      model.forward({ inputIds: randomIds(new Generator(1), 1, 30, 60), useCache: true }),
    );
    expect(() =>
      model.forward({
        inputIds: randomIds(new Generator(2), 1, 3, 60),
        pastKeyValues: out.pastKeyValues,
      }),
    ).toThrow(/exceed n_positions 32/);
  });

  it('a cache of the wrong depth or an attention mask of the wrong length is a ShapeError', () => {
    const model = models[1][1]();
    const ids = randomIds(new Generator(1), 1, 4, 60);
    const out = noGrad(() => model.forward({ inputIds: ids, useCache: true }));
    expect(() =>
      model.forward({ inputIds: ids, pastKeyValues: out.pastKeyValues!.slice(1) }),
    ).toThrow(/pastKeyValues has 2 layers, the model has 3/);
    expect(() =>
      model.forward({
        inputIds: ids,
        pastKeyValues: out.pastKeyValues,
        attentionMask: new Tensor(new Int32Array(4).fill(1), [1, 4]),
      }),
    ).toThrow(/attentionMask must be \[batch, past \+ seq\] = \[1, 8\]/);
  });
});
