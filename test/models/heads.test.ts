import { describe, expect, it } from 'vitest';
import {
  crossEntropy,
  embedding,
  Generator,
  gradcheck,
  noGrad,
  randn,
  reshape,
  slice,
  Tensor,
} from '../../src/core/index.js';
import {
  applyRotary,
  bceWithLogits,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  GPT2ForSequenceClassification,
  GPT2LMHeadModel,
  GPT2Model,
  inverseFrequencies,
  LlamaForCausalLM,
  LlamaForSequenceClassification,
  repeatKv,
  rotaryTables,
} from '../../src/models/index.js';
import { maxAbsDiff, rms } from './helpers.js';

const bert = {
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 24,
  max_position_embeddings: 12,
};
const llama = {
  vocab_size: 40,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  num_key_value_heads: 2,
};
const ids = (rows: number[][]) =>
  new Tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length]);

describe('classification and QA losses (Hugging Face semantics)', () => {
  it('num_labels 1 is regression: MSE on the single logit', () => {
    const model = new BertForSequenceClassification(
      { ...bert, num_labels: 1 },
      { rng: new Generator(1) },
    ).eval();
    const inputIds = ids([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const labels = new Tensor(Float32Array.from([0.5, -1.5]), [2]);
    const { logits, loss } = model.forward({ inputIds, labels });
    expect(logits.shape).toEqual([2, 1]);
    const expected = ((logits.data[0] - 0.5) ** 2 + (logits.data[1] + 1.5) ** 2) / 2;
    expect(loss!.item()).toBeCloseTo(expected, 5);
  });

  it('int labels give cross-entropy; float [B, L] labels give BCE with logits', () => {
    const model = new BertForSequenceClassification(
      { ...bert, num_labels: 3 },
      { rng: new Generator(2) },
    ).eval();
    const inputIds = ids([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const ce = model.forward({ inputIds, labels: new Tensor(Int32Array.from([2, 0]), [2]) });
    expect(ce.loss!.item()).toBeCloseTo(
      crossEntropy(ce.logits, new Tensor(Int32Array.from([2, 0]), [2])).item(),
      6,
    );
    const targets = Float32Array.from([1, 0, 1, 0, 0, 1]);
    const multi = model.forward({ inputIds, labels: new Tensor(targets, [2, 3]) });
    let expected = 0;
    for (let i = 0; i < 6; i++) {
      const x = multi.logits.data[i];
      const p = 1 / (1 + Math.exp(-x));
      expected -= targets[i] * Math.log(p) + (1 - targets[i]) * Math.log(1 - p);
    }
    expect(multi.loss!.item()).toBeCloseTo(expected / 6, 5);
    // Large logits stay finite in the stable form.
    const big = bceWithLogits(
      new Tensor(Float32Array.from([200, -200]), [1, 2]),
      new Tensor(Float32Array.from([0, 1]), [1, 2]),
    );
    expect(big.item()).toBeCloseTo(200, 3);
  });

  it('problem_type in the config overrides the guess', () => {
    const model = new BertForSequenceClassification(
      { ...bert, num_labels: 2, problem_type: 'regression' },
      { rng: new Generator(3) },
    ).eval();
    const out = model.forward({
      inputIds: ids([[1, 2]]),
      labels: new Tensor(Float32Array.from([0.25, 0.75]), [1, 2]),
    });
    const [a, b] = out.logits.data;
    expect(out.loss!.item()).toBeCloseTo(((a - 0.25) ** 2 + (b - 0.75) ** 2) / 2, 5);
  });

  it('token classification ignores -100', () => {
    const model = new BertForTokenClassification(
      { ...bert, num_labels: 4 },
      { rng: new Generator(4) },
    ).eval();
    const inputIds = ids([[1, 2, 3, 0]]);
    const out = model.forward({ inputIds, labels: ids([[-100, 2, 1, -100]]) });
    const rows = reshape(slice(out.logits, 1, 1, 3), [2, 4]);
    expect(out.loss!.item()).toBeCloseTo(
      crossEntropy(rows, new Tensor(Int32Array.from([2, 1]), [2])).item(),
      6,
    );
  });

  it('QA: positions beyond the sequence are ignored; the loss averages start and end', () => {
    const model = new BertForQuestionAnswering(bert, { rng: new Generator(5) }).eval();
    const inputIds = ids([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    const out = model.forward({
      inputIds,
      startPositions: new Tensor(Int32Array.from([1, 99]), [2]),
      endPositions: new Tensor(Int32Array.from([2, 3]), [2]),
    });
    expect(out.startLogits.shape).toEqual([2, 4]);
    const start = crossEntropy(
      slice(out.startLogits, 0, 0, 1),
      new Tensor(Int32Array.from([1]), [1]),
    );
    const end = crossEntropy(out.endLogits, new Tensor(Int32Array.from([2, 3]), [2]));
    expect(out.loss!.item()).toBeCloseTo((start.item() + end.item()) / 2, 6);
  });

  it('decoder classifiers pool the last non-padding token', () => {
    for (const model of [
      new GPT2ForSequenceClassification(
        {
          vocab_size: 40,
          n_positions: 8,
          n_embd: 16,
          n_layer: 1,
          n_head: 2,
          num_labels: 3,
          pad_token_id: 0,
        },
        { rng: new Generator(6) },
      ).eval(),
      new LlamaForSequenceClassification(
        { ...llama, num_labels: 3, pad_token_id: 0 },
        { rng: new Generator(7) },
      ).eval(),
    ]) {
      const right = model.forward({ inputIds: ids([[5, 6, 7, 0, 0]]) }).logits;
      const alone = model.forward({ inputIds: ids([[5, 6, 7]]) }).logits;
      expect(right.shape).toEqual([1, 3]);
      expect(maxAbsDiff(right.data, alone.data)).toBeLessThan(1e-6);
      const out = model.forward({
        inputIds: ids([[5, 6, 7, 0, 0]]),
        labels: new Tensor(Int32Array.from([2]), [1]),
      });
      expect(Number.isFinite(out.loss!.item())).toBe(true);
    }
    const noPad = new LlamaForSequenceClassification(
      { ...llama, num_labels: 2 },
      { rng: new Generator(8) },
    );
    expect(() =>
      noPad.forward({
        inputIds: ids([
          [1, 2],
          [3, 4],
        ]),
      }),
    ).toThrow(/pad_token_id/);
  });
});

describe('model plumbing', () => {
  it('GPT2Model keeps its positional forward(inputIds, attentionMask)', () => {
    const model = new GPT2Model(
      { vocab_size: 40, n_positions: 8, n_embd: 16, n_layer: 1, n_head: 2 },
      { rng: new Generator(9) },
    ).eval();
    const inputIds = ids([[1, 2, 3]]);
    const a = model.forward(inputIds);
    const b = model.forward({ inputIds }).lastHiddenState;
    expect(a.shape).toEqual([1, 3, 16]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('inputsEmbeds replace the token lookup (prompt tuning)', () => {
    for (const model of [
      new GPT2LMHeadModel(
        { vocab_size: 40, n_positions: 8, n_embd: 16, n_layer: 1, n_head: 2 },
        { rng: new Generator(10) },
      ).eval(),
      new LlamaForCausalLM(llama, { rng: new Generator(11) }).eval(),
    ]) {
      const inputIds = ids([[3, 1, 4, 1]]);
      const table =
        model instanceof GPT2LMHeadModel
          ? model.transformer.wte.weight
          : model.model.embed_tokens.weight;
      const a = model.forward({ inputIds }).logits;
      const b = model.forward({ inputsEmbeds: embedding(table, inputIds) }).logits;
      expect(maxAbsDiff(a.data, b.data)).toBeLessThan(1e-6);
      expect(() => model.forward({})).toThrow(/exactly one of inputIds and inputsEmbeds/);
    }
  });

  it('BERT: missing tokenTypeIds mean segment 0; the pooler is optional', () => {
    const model = new BertModel(bert, { rng: new Generator(12) }).eval();
    const inputIds = ids([[1, 2, 3]]);
    const a = model.forward({ inputIds });
    const b = model.forward({ inputIds, tokenTypeIds: ids([[0, 0, 0]]) });
    expect(maxAbsDiff(a.lastHiddenState.data, b.lastHiddenState.data)).toBe(0);
    expect(a.poolerOutput!.shape).toEqual([1, 16]);
    const noPool = new BertModel(bert, { rng: new Generator(12), addPoolingLayer: false });
    expect(noPool.pooler).toBeNull();
    expect([...noPool.stateDict().keys()].some((k) => k.startsWith('pooler'))).toBe(false);
    expect(() => model.forward({ inputIds: ids([Array.from({ length: 13 }, () => 1)]) })).toThrow(
      /exceeds max_position_embeddings 12/,
    );
  });

  it('parameter names are Hugging Face names', () => {
    const names = (m: { stateDict(): Map<string, unknown> }) => [...m.stateDict().keys()];
    const l = names(new LlamaForCausalLM(llama, { skipInit: true }));
    expect(l).toContain('model.layers.0.self_attn.k_proj.weight');
    expect(l).toContain('model.layers.0.mlp.gate_proj.weight');
    expect(l).toContain('model.layers.0.post_attention_layernorm.weight');
    expect(l).toContain('lm_head.weight');
    const b = names(new BertForQuestionAnswering(bert, { skipInit: true }));
    expect(b).toContain('bert.encoder.layer.0.attention.self.query.weight');
    expect(b).toContain('bert.encoder.layer.0.attention.output.LayerNorm.bias');
    expect(b).toContain('bert.encoder.layer.0.intermediate.dense.weight');
    expect(b).toContain('bert.encoder.layer.0.output.dense.weight');
    expect(b).toContain('qa_outputs.weight');
    const k = new LlamaForCausalLM(llama, { skipInit: true }).model.layers.get(0).self_attn.k_proj
      .weight;
    expect(k.shape).toEqual([8, 16]); // 2 kv heads x head dim 4
  });

  it('random init follows HF: N(0, initializer_range), norms 1, biases 0, seeded', () => {
    const a = new LlamaForCausalLM(
      { ...llama, initializer_range: 0.5 },
      { rng: new Generator(13) },
    );
    const b = new LlamaForCausalLM(
      { ...llama, initializer_range: 0.5 },
      { rng: new Generator(13) },
    );
    expect(Array.from(a.lm_head.weight.data)).toEqual(Array.from(b.lm_head.weight.data));
    expect(Array.from(a.model.norm.weight!.data).every((v) => v === 1)).toBe(true);
    const w = a.model.layers.get(0).mlp.up_proj.weight.data;
    const std = rms(w);
    expect(std).toBeGreaterThan(0.4);
    expect(std).toBeLessThan(0.6);
    const gpt = new GPT2LMHeadModel(
      { vocab_size: 40, n_positions: 8, n_embd: 16, n_layer: 8, n_head: 2 },
      { rng: new Generator(14) },
    );
    const proj = gpt.transformer.h.get(0).attn.c_proj.weight.data;
    const projStd = rms(proj);
    expect(projStd).toBeLessThan((0.02 / Math.sqrt(16)) * 1.5); // scaled by 1/sqrt(2 n_layer)
  });
});

describe('rotary embeddings and grouped-query attention', () => {
  it('applyRotary matches rotate_half and has correct gradients (float64)', () => {
    const rng = new Generator(15);
    const tables = rotaryTables([0, 3, 7], 1, 3, 4, 10, { kind: 'default' }, 100);
    const x = randn([1, 2, 3, 4], rng, { dtype: 'float64' });
    const y = applyRotary(x, tables);
    // position 3, first frequency pair (j = 0 and j = 2): a plain 2-D rotation by 3 * theta^0
    const o = (0 * 3 + 1) * 4;
    const [c, s] = [Math.cos(3), Math.sin(3)];
    expect(y.data[o]).toBeCloseTo(x.data[o] * c - x.data[o + 2] * s, 6);
    expect(y.data[o + 2]).toBeCloseTo(x.data[o + 2] * c + x.data[o] * s, 6);
    x.requiresGrad_();
    const check = gradcheck((t) => applyRotary(t, tables), [x]);
    expect(check.ok).toBe(true);
  });

  it('repeatKv repeats each kv head in place and sums gradients back', () => {
    const x = new Tensor(
      Float64Array.from({ length: 2 * 3 * 2 }, (_, i) => i),
      [1, 2, 3, 2],
    ).requiresGrad_();
    const y = repeatKv(x, 2);
    expect(y.shape).toEqual([1, 4, 3, 2]);
    expect(Array.from(y.data.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    expect(gradcheck((t) => repeatKv(t, 3), [x]).ok).toBe(true);
  });

  it('rope scaling: linear divides positions; llama3 keeps high frequencies', () => {
    const base = inverseFrequencies(8, 10000, { kind: 'default' });
    const l3 = inverseFrequencies(8, 10000, {
      kind: 'llama3',
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 64,
    });
    expect(l3[0]).toBe(base[0]); // wavelength 2pi < 64/4: unchanged
    expect(l3[3]).toBeCloseTo(base[3] / 8, 12); // wavelength > 64: divided by factor
    const linear = rotaryTables([6], 1, 1, 8, 10000, { kind: 'linear', factor: 2 }, 100);
    const plain = rotaryTables([3], 1, 1, 8, 10000, { kind: 'default' }, 100);
    expect(Array.from(linear.cos)).toEqual(Array.from(plain.cos));
  });

  it('a float64 Llama passes a gradient check end to end', () => {
    const model = new LlamaForCausalLM(
      {
        ...llama,
        vocab_size: 12,
        hidden_size: 8,
        intermediate_size: 8,
        num_attention_heads: 2,
        num_key_value_heads: 1,
      },
      { rng: new Generator(16) },
    ).to('float64');
    const rng = new Generator(17);
    const embeds = randn([1, 3, 8], rng, { dtype: 'float64' }).requiresGrad_();
    const result = gradcheck((e) => model.forward({ inputsEmbeds: e }).logits, [embeds]);
    expect(result.ok).toBe(true);
    noGrad(() => expect(model.forward({ inputIds: ids([[1, 2]]) }).logits.dtype).toBe('float64'));
  });
});
