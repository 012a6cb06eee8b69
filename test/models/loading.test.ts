import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  CheckpointError,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  Generator,
  noGrad,
  readSafetensorsHeader,
  saveSafetensors,
  type TensorToWrite,
} from '../../src/core/index.js';
import {
  AutoModelForMaskedLM,
  AutoModelForSequenceClassification,
  BertForMaskedLM,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertModel,
  GPT2LMHeadModel,
  GPT2Model,
  LlamaForCausalLM,
  loadModelFromArchitecture,
  loadPretrained,
  parseSize,
} from '../../src/models/index.js';
import {
  copyFixture,
  expectSameState,
  fixtureDir,
  ids,
  readGolden,
  rms,
  tempDirs,
  tiny,
  warnings,
} from './helpers.js';

const tmp = tempDirs();

describe('savePretrained -> fromPretrained', () => {
  const cases = [
    ['GPT2LMHeadModel', () => new GPT2LMHeadModel(tiny.gpt2, { rng: new Generator(1) })],
    [
      'BertForMaskedLM',
      () =>
        AutoModelForMaskedLM.fromConfig(
          { model_type: 'bert', ...tiny.bert },
          { rng: new Generator(2) },
        ),
    ],
    [
      'BertForSequenceClassification',
      () =>
        new BertForSequenceClassification(
          { ...tiny.bert, id2label: { 0: 'no', 1: 'maybe', 2: 'yes' } },
          { rng: new Generator(3) },
        ),
    ],
    ['LlamaForCausalLM', () => new LlamaForCausalLM(tiny.llama, { rng: new Generator(4) })],
    [
      'LlamaForCausalLM (tied)',
      () =>
        new LlamaForCausalLM(
          { ...tiny.llama, tie_word_embeddings: true },
          { rng: new Generator(5) },
        ),
    ],
  ] as const;
  for (const [name, make] of cases) {
    it(`${name}: bit-identical weights and config`, async () => {
      const model = make();
      const dir = tmp();
      await model.savePretrained(dir);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(config.architectures).toEqual([model.spec.architecture]);
      const { model: loaded, info } = await loadModelFromArchitecture(dir, { strict: true });
      expect(loaded.constructor).toBe(model.constructor);
      expect(info.missingKeys).toEqual([]);
      expectSameState(model, loaded);
      expect(loaded.config).toEqual({ ...model.config, architectures: [model.spec.architecture] });
      // Saving the loaded model again gives the same config.json.
      const dir2 = tmp();
      await loaded.savePretrained(dir2);
      expect(readFileSync(join(dir2, 'config.json'), 'utf8')).toBe(
        readFileSync(join(dir, 'config.json'), 'utf8'),
      );
      expect(readFileSync(join(dir2, 'model.safetensors'))).toEqual(
        readFileSync(join(dir, 'model.safetensors')),
      );
    });
  }

  it('tied weights are written once and stay tied after loading', async () => {
    const model = new GPT2LMHeadModel(tiny.gpt2, { rng: new Generator(7) });
    expect(model.lm_head.weight).toBe(model.transformer.wte.weight);
    const dir = tmp();
    await model.savePretrained(dir);
    const header = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    expect(header.tensors.has('lm_head.weight')).toBe(false);
    expect(header.tensors.has('transformer.wte.weight')).toBe(true);
    const loaded = await GPT2LMHeadModel.fromPretrained(dir);
    expect(loaded.lm_head.weight).toBe(loaded.transformer.wte.weight);
    // One parameter, listed once (the optimizer updates it once).
    expect(loaded.parameters().filter((p) => p === loaded.lm_head.weight)).toHaveLength(1);
  });

  it('a checkpoint that does carry the tied alias loads too (the source wins)', async () => {
    const model = new LlamaForCausalLM(
      { ...tiny.llama, tie_word_embeddings: true },
      { rng: new Generator(8) },
    );
    const dir = tmp();
    await model.savePretrained(dir);
    const state = model.stateDict();
    const tensors = new Map(
      [...state].map(([k, t]) => [
        k,
        { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array },
      ]),
    );
    expect(tensors.has('lm_head.weight')).toBe(true);
    await saveSafetensors(join(dir, 'model.safetensors'), tensors);
    const w = warnings();
    const { model: loaded, info } = await loadPretrained(LlamaForCausalLM, dir, {
      onWarning: w.onWarning,
    });
    expect(info.unexpectedKeys).toEqual([]);
    expect(w.list).toEqual([]);
    expectSameState(model, loaded);
  });

  it('shards above maxShardSize, with an index, and loads them back', async () => {
    const model = new LlamaForCausalLM(tiny.llama, { rng: new Generator(9) });
    const dir = tmp();
    await model.savePretrained(dir, { maxShardSize: '4KB' });
    const files = readdirSync(dir).sort();
    const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThan(2);
    expect(files).not.toContain('model.safetensors');
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(Object.keys(index.weight_map).sort()).toEqual([...model.stateDict().keys()].sort());
    expect(index.metadata.total_size).toBe(model.numParameters() * 4);
    for (const f of shards)
      expect(f.endsWith(`-of-${String(shards.length).padStart(5, '0')}.safetensors`)).toBe(true);
    const loaded = await LlamaForCausalLM.fromPretrained(dir);
    expectSameState(model, loaded);
    // Saving unsharded into the same directory removes the stale shards and index.
    await model.savePretrained(dir);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('F16 and BF16 saving round to nearest even and load back as float32', async () => {
    const model = new GPT2LMHeadModel(tiny.gpt2, { rng: new Generator(10) });
    for (const [dtype, round, torchDtype] of [
      ['F16', (v: number) => f16BitsToF32(f32ToF16Bits(v)), 'float16'],
      ['BF16', (v: number) => bf16BitsToF32(f32ToBf16Bits(v)), 'bfloat16'],
    ] as const) {
      const dir = tmp();
      await model.savePretrained(dir, { dtype });
      const header = await readSafetensorsHeader(join(dir, 'model.safetensors'));
      expect([...header.tensors.values()].every((t) => t.dtype === dtype)).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe(
        torchDtype,
      );
      const loaded = await GPT2LMHeadModel.fromPretrained(dir);
      const a = model.transformer.h.get(0).attn.c_attn.weight.data;
      const b = loaded.transformer.h.get(0).attn.c_attn.weight.data;
      expect(Array.from(b)).toEqual(Array.from(a, round));
    }
  });

  it('parses Hugging Face size strings', () => {
    expect(parseSize('5GB')).toBe(5e9);
    expect(parseSize('200MB')).toBe(2e8);
    expect(parseSize('1GiB')).toBe(2 ** 30);
    expect(parseSize('10kb')).toBe(1e4);
    expect(parseSize(1234)).toBe(1234);
    expect(() => parseSize('lots')).toThrow(/maxShardSize/);
    expect(() => parseSize(-1)).toThrow(/maxShardSize/);
  });
});

describe('base-model prefixes and heads', () => {
  it('BertModel reads a bert.-prefixed QA checkpoint; the head is reported unexpected', async () => {
    const w = warnings();
    const { model, info } = await loadPretrained(BertModel, fixtureDir('bert-qa'), {
      onWarning: w.onWarning,
    });
    expect(info.unexpectedKeys).toEqual(['qa_outputs.bias', 'qa_outputs.weight']);
    expect(info.missingKeys).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
    expect(w.list.join('\n')).toMatch(/qa_outputs\.weight/);
    expect(w.list.join('\n')).toMatch(/newly initialised.*pooler\.dense\.weight/);
    const qa = await BertForQuestionAnswering.fromPretrained(fixtureDir('bert-qa'));
    const c = readGolden('bert-qa').cases[0];
    const inputs = {
      inputIds: ids(c.inputs.input_ids),
      attentionMask: ids(c.inputs.attention_mask),
      tokenTypeIds: ids(c.inputs.token_type_ids),
    };
    const a = noGrad(() => model.forward(inputs).lastHiddenState);
    const b = noGrad(() => qa.bert.forward(inputs).lastHiddenState);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('a head reads a prefix-less base checkpoint; the new head is drawn from rng', async () => {
    const base = new BertModel(tiny.bert, { rng: new Generator(11) });
    const dir = tmp();
    await base.savePretrained(dir);
    const header = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    expect([...header.tensors.keys()].some((k) => k.startsWith('bert.'))).toBe(false);
    const load = async (seed: number) => {
      const w = warnings();
      const model = (await AutoModelForSequenceClassification.fromPretrained(dir, {
        rng: new Generator(seed),
        onWarning: w.onWarning,
      })) as BertForSequenceClassification;
      return { model, w };
    };
    const { model, w } = await load(5);
    expect(w.list).toHaveLength(1);
    expect(w.list[0]).toMatch(/classifier\.weight, classifier\.bias/);
    expect(Array.from(model.bert.encoder.layer.get(1).output.dense.weight.data)).toEqual(
      Array.from(base.encoder.layer.get(1).output.dense.weight.data),
    );
    // HF init for the new head: N(0, initializer_range) weights, zero bias; seeded.
    const weight = model.classifier.weight.data;
    expect(Array.from(model.classifier.bias!.data)).toEqual([0, 0]);
    const std = rms(weight);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04);
    expect(Array.from((await load(5)).model.classifier.weight.data)).toEqual(Array.from(weight));
    expect(Array.from((await load(6)).model.classifier.weight.data)).not.toEqual(
      Array.from(weight),
    );
  });

  it('strict loading turns missing and unexpected weights into a CheckpointError', async () => {
    const base = new BertModel(tiny.bert, { rng: new Generator(12) });
    const dir = tmp();
    await base.savePretrained(dir);
    await expect(
      BertForSequenceClassification.fromPretrained(dir, { strict: true }),
    ).rejects.toThrow(/missing \(2\): classifier\.weight, classifier\.bias/);
    await expect(
      BertForSequenceClassification.fromPretrained(dir, { strict: true }),
    ).rejects.toBeInstanceOf(CheckpointError);
  });

  it('a TF-era BERT pretraining checkpoint loads (gamma/beta, NSP head, position_ids)', async () => {
    const model = await BertForMaskedLM.fromPretrained(fixtureDir('bert-mlm'));
    const dir = tmp();
    copyFixture('bert-mlm', dir);
    const tensors = new Map<string, TensorToWrite>();
    // The tied decoder weight and bias are written too, as old checkpoints did.
    for (const [k, t] of model.stateDict()) {
      const name = k
        .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
        .replace(/LayerNorm\.bias$/, 'LayerNorm.beta');
      tensors.set(name, { dtype: 'F32', shape: t.shape, data: t.data as Float32Array });
    }
    expect(tensors.has('cls.predictions.decoder.weight')).toBe(true);
    expect(tensors.has('bert.encoder.layer.0.output.LayerNorm.gamma')).toBe(true);
    tensors.set('cls.seq_relationship.weight', {
      dtype: 'F32',
      shape: [2, 32],
      data: new Float32Array(64),
    });
    tensors.set('cls.seq_relationship.bias', {
      dtype: 'F32',
      shape: [2],
      data: new Float32Array(2),
    });
    tensors.set('bert.embeddings.position_ids', {
      dtype: 'I64',
      shape: [1, 16],
      data: Int32Array.from({ length: 16 }, (_, i) => i),
    });
    await saveSafetensors(join(dir, 'model.safetensors'), tensors);
    const w = warnings();
    const { model: loaded, info } = await loadPretrained(BertForMaskedLM, dir, {
      onWarning: w.onWarning,
    });
    expect(info.ignoredKeys).toEqual(['bert.embeddings.position_ids']);
    expect(info.unexpectedKeys).toEqual([
      'cls.seq_relationship.bias',
      'cls.seq_relationship.weight',
    ]);
    expect(info.missingKeys).toEqual([]);
    expect(w.list).toHaveLength(1);
    expectSameState(model, loaded);
  });

  it('GPT2Model reads a GPT2LMHeadModel checkpoint (transformer. stripped)', async () => {
    const { info } = await loadPretrained(GPT2Model, fixtureDir('gpt2'), { strict: true });
    expect(info.missingKeys).toEqual([]);
  });

  it('an untied Llama checkpoint without lm_head.weight warns and draws it', async () => {
    const dir = tmp();
    copyFixture('llama', dir);
    const model = await LlamaForCausalLM.fromPretrained(fixtureDir('llama'));
    const tensors = new Map(
      [...model.stateDict()]
        .filter(([k]) => k !== 'lm_head.weight')
        .map(([k, t]) => [
          k,
          { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array },
        ]),
    );
    await saveSafetensors(join(dir, 'model.safetensors'), tensors);
    const w = warnings();
    const loaded = await LlamaForCausalLM.fromPretrained(dir, { onWarning: w.onWarning });
    expect(w.list.join()).toMatch(/lm_head\.weight/);
    expect(loaded.lm_head.weight).not.toBe(loaded.model.embed_tokens.weight);
  });
});
