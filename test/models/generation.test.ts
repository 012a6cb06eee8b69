import { describe, expect, it } from 'vitest';
import { Generator, Tensor, ValueError } from '../../src/core/index.js';
import {
  applyRepetitionPenalty,
  applyTemperature,
  argmaxRow,
  GPT2LMHeadModel,
  generate,
  LlamaForCausalLM,
  nextToken,
  sampleIndex,
  softmaxRow,
  streamGenerate,
  topKFilter,
  topPFilter,
  type GenerationModel,
  type TokenEvent,
} from '../../src/models/index.js';
import { fixtureDir } from './helpers.js';

const NEG = -Infinity;

/** A bigram "model": the logits after token t are row t of a table; no KV cache. */
function bigram(table: number[][], config: GenerationModel['config'] = {}): GenerationModel {
  const V = table[0].length;
  return {
    config,
    forward({ inputIds }) {
      const [B, T] = inputIds.shape;
      const logits = new Float32Array(B * T * V);
      for (let i = 0; i < B * T; i++) logits.set(table[inputIds.data[i]], i * V);
      return { logits: new Tensor(logits, [B, T, V]) };
    },
  };
}

describe('logits processors on hand-made scores', () => {
  it('repetition penalty divides positive and multiplies negative scores, once per token', () => {
    const s = Float32Array.from([2, -2, 1, 0.5]);
    applyRepetitionPenalty(s, [0, 1, 0, 0, 3], 2);
    expect(Array.from(s)).toEqual([1, -4, 1, 0.25]);
    const t = Float32Array.from([2, -2]);
    applyRepetitionPenalty(t, [0, 1], 0.5); // < 1 encourages repeats
    expect(Array.from(t)).toEqual([4, -1]);
    expect(() => applyRepetitionPenalty(s, [0], 0)).toThrow(ValueError);
  });

  it('temperature scales the scores', () => {
    const s = Float64Array.from([1, 2, -4]);
    applyTemperature(s, 0.5);
    expect(Array.from(s)).toEqual([2, 4, -8]);
    expect(() => applyTemperature(s, 0)).toThrow(/doSample: false for greedy/);
    expect(() => applyTemperature(s, -1)).toThrow(ValueError);
  });

  it('top-k keeps the k best and ties with the k-th', () => {
    const s = Float64Array.from([1, 5, 3, 3, 0]);
    topKFilter(s, 2);
    expect(Array.from(s)).toEqual([NEG, 5, 3, 3, NEG]);
    const all = Float64Array.from([1, 2]);
    topKFilter(all, 0);
    topKFilter(all, 5);
    expect(Array.from(all)).toEqual([1, 2]);
    expect(() => topKFilter(all, 1.5)).toThrow(/topK/);
  });

  it('top-p keeps the smallest most likely set reaching p', () => {
    // probabilities 0.5, 0.25, 0.125, 0.125
    const base = [Math.log(0.5), Math.log(0.25), Math.log(0.125), Math.log(0.125)];
    const s1 = Float64Array.from(base);
    topPFilter(s1, 0.7);
    expect(Array.from(s1).map((v) => v === NEG)).toEqual([false, false, true, true]);
    const s2 = Float64Array.from(base);
    topPFilter(s2, 0.5);
    expect(Array.from(s2).map((v) => v === NEG)).toEqual([false, true, true, true]);
    const s3 = Float64Array.from(base);
    topPFilter(s3, 0.8); // 0.5 + 0.25 + one of the tied 0.125s
    expect(Array.from(s3).map((v) => v === NEG)).toEqual([false, false, true, false]);
    const s4 = Float64Array.from(base);
    topPFilter(s4, 0.9); // 0.875 < 0.9: everything stays
    expect(Array.from(s4)).toEqual(base);
    const tiny = Float64Array.from(base);
    topPFilter(tiny, 1e-9); // at least one token stays
    expect(Array.from(tiny).filter((v) => v !== NEG)).toEqual([Math.log(0.5)]);
    expect(() => topPFilter(tiny, 0)).toThrow(/topP/);
    expect(() => topPFilter(tiny, 1.5)).toThrow(/topP/);
  });

  it('softmax, argmax and sampling', () => {
    const p = softmaxRow(Float64Array.from([0, Math.log(3), NEG]));
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
    expect(p[2]).toBe(0);
    expect(argmaxRow(Float32Array.from([1, 3, 3]))).toBe(1);
    const rng = new Generator(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleIndex(p, rng)]++;
    expect(counts[2]).toBe(0);
    expect(counts[1] / 4000).toBeGreaterThan(0.72);
    expect(counts[1] / 4000).toBeLessThan(0.78);
    expect(() => softmaxRow(Float64Array.from([NEG, NEG]))).toThrow(/filtered out/);
  });

  it('nextToken applies the penalty in greedy mode and needs rng to sample', () => {
    expect(nextToken(Float32Array.from([3, 2]), [0], { repetitionPenalty: 2 }, undefined)).toBe(1);
    expect(() => nextToken(Float32Array.from([1, 2]), [], { doSample: true }, undefined)).toThrow(
      /rng/,
    );
    // Low temperature makes sampling nearly greedy; top-k 1 makes it exactly greedy.
    const rng = new Generator(3);
    for (let i = 0; i < 50; i++) {
      expect(nextToken(Float32Array.from([0, 1, 0.5]), [], { doSample: true, topK: 1 }, rng)).toBe(
        1,
      );
    }
  });
});

describe('generate', () => {
  // After 0 -> 1 -> 2 -> 3 (eos) ...; token 4 leads anywhere almost uniformly.
  const table = [
    [0, 5, 0, 0, 0],
    [0, 0, 5, 0, 0],
    [0, 0, 0, 5, 0],
    [5, 0, 0, 0, 0],
    [1, 1.1, 1, 1, 1],
  ];

  it('greedy decoding follows the argmax chain and stops at eos', () => {
    const out = generate(bigram(table, { eos_token_id: 3 }), [0], { maxNewTokens: 10 });
    expect(out.shape).toEqual([1, 4]);
    expect(Array.from(out.data)).toEqual([0, 1, 2, 3]);
    const noEos = generate(bigram(table, { eos_token_id: 3 }), [[0]], {
      maxNewTokens: 6,
      eosTokenId: null,
    });
    expect(Array.from(noEos.data)).toEqual([0, 1, 2, 3, 0, 1, 2]);
  });

  it('stopTokens end rows; finished rows are padded', () => {
    const out = generate(bigram(table), [[0], [2]], {
      maxNewTokens: 5,
      eosTokenId: null,
      stopTokens: [2],
      padTokenId: 4,
    });
    // Row 0 stops at its first 2 and is padded while row 1 runs on to its own 2.
    expect(out.shape).toEqual([2, 5]);
    expect(Array.from(out.data)).toEqual([0, 1, 2, 4, 4, 2, 3, 0, 1, 2]);
  });

  it('the repetition penalty steers greedy decoding away from seen tokens', () => {
    const row = [1, 0.9, 0.8];
    const model = bigram([row, row, row]);
    const plain = generate(model, [0], { maxNewTokens: 3, eosTokenId: null });
    expect(Array.from(plain.data)).toEqual([0, 0, 0, 0]);
    const penalised = generate(model, [0], {
      maxNewTokens: 2,
      eosTokenId: null,
      repetitionPenalty: 1.5,
    });
    expect(Array.from(penalised.data)).toEqual([0, 1, 2]);
  });

  it('sampling is deterministic for a seed and varies across seeds', () => {
    const model = bigram(table.map(() => table[4]));
    const run = (seed: number) =>
      Array.from(
        generate(model, [4], {
          maxNewTokens: 30,
          doSample: true,
          rng: new Generator(seed),
          eosTokenId: null,
        }).data,
      );
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    expect(() => generate(model, [4], { maxNewTokens: 1, doSample: true })).toThrow(/rng/);
  });

  it('temperature, top-k and top-p limit what can be sampled', () => {
    const scores = [2, 1.9, 1.8, 0, -1];
    const model = bigram(scores.map(() => scores));
    const draw = (opts: object) => {
      const out = generate(model, [0], {
        maxNewTokens: 200,
        doSample: true,
        rng: new Generator(7),
        eosTokenId: null,
        ...opts,
      });
      return new Set(Array.from(out.data).slice(1));
    };
    expect(draw({ topK: 2 })).toEqual(new Set([0, 1]));
    expect(draw({ topK: 0, topP: 0.5 })).toEqual(new Set([0, 1]));
    expect(draw({ topK: 0 })).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(draw({ topK: 0, temperature: 0.01 })).toEqual(new Set([0]));
  });

  it('streams tokens through onToken and stops when it returns false', () => {
    const events: TokenEvent[] = [];
    const out = generate(bigram(table), [[0], [1]], {
      maxNewTokens: 10,
      eosTokenId: null,
      onToken: (e) => {
        events.push(e);
        return e.step < 2;
      },
    });
    expect(events.map((e) => e.tokens)).toEqual([
      [1, 2],
      [2, 3],
      [3, 0],
    ]);
    expect(out.shape).toEqual([2, 4]);
    const steps = [...streamGenerate(bigram(table, { eos_token_id: 3 }), [0], { maxNewTokens: 9 })];
    expect(steps.map((e) => e.tokens[0])).toEqual([1, 2, 3]);
    expect(steps[2].finished).toEqual([true]);
  });

  it('validates its inputs', () => {
    const model = bigram(table);
    expect(() => generate(model, [[0, 1], [2]], { maxNewTokens: 1 })).toThrow(/equal length/);
    expect(() => generate(model, [], { maxNewTokens: 1 })).toThrow(/non-empty/);
    expect(() => generate(model, [0], { maxNewTokens: -1 })).toThrow(/maxNewTokens/);
    expect(() => generate(model, [0.5], { maxNewTokens: 1 })).toThrow(/token id/);
    expect(() =>
      generate(model, [0], {
        maxNewTokens: 1,
        attentionMask: new Tensor(Int32Array.from([1, 1]), [1, 2]),
      }),
    ).toThrow(/attentionMask must be \[1, 1\]/);
  });

  it('left padding with an attention mask does not change a row', async () => {
    const model = await LlamaForCausalLM.fromPretrained(fixtureDir('llama'));
    const alone = generate(model, [[5, 6, 7]], { maxNewTokens: 5, eosTokenId: null });
    const batch = generate(
      model,
      [
        [0, 0, 5, 6, 7],
        [9, 8, 7, 6, 5],
      ],
      {
        maxNewTokens: 5,
        eosTokenId: null,
        attentionMask: new Tensor(Int32Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1]), [2, 5]),
      },
    );
    expect(Array.from(batch.data.subarray(2, 10))).toEqual(Array.from(alone.data));
  });

  it('restores training mode and records no gradients', async () => {
    const model = await GPT2LMHeadModel.fromPretrained(fixtureDir('gpt2'));
    model.train();
    const out = generate(model, [1, 2, 3], { maxNewTokens: 3, eosTokenId: null });
    expect(out.shape).toEqual([1, 6]);
    expect(model.training).toBe(true);
    expect(model.transformer.h.get(0).attn.training).toBe(true);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    // Greedy decoding in eval mode: the same as a second run, dropout never applied.
    expect(
      Array.from(generate(model, [1, 2, 3], { maxNewTokens: 3, eosTokenId: null }).data),
    ).toEqual(Array.from(out.data));
  });
});
