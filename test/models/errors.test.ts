import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  ConfigError,
  noGrad,
  saveSafetensors,
  Tensor,
} from '../../src/core/index.js';
import {
  AutoModel,
  AutoModelForCausalLM,
  AutoModelForMaskedLM,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertModel,
  GPT2LMHeadModel,
  GPT2Model,
  LlamaForCausalLM,
  loadModelFromArchitecture,
} from '../../src/models/index.js';
import {
  copyFixture,
  expectSameState,
  fixtureDir,
  tempDirs,
  tiny,
  warnings,
  writeConfig,
} from './helpers.js';

const tmp = tempDirs();

describe('checkpoint and config errors', () => {
  it('unknown model_type lists the supported ones', async () => {
    const dir = tmp();
    writeConfig(dir, { model_type: 't5', architectures: ['T5ForConditionalGeneration'] });
    const err = await AutoModelForCausalLM.fromPretrained(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/model_type 't5' is not supported/);
    expect((err as Error).message).toMatch(/bert, gpt2, llama/);
  });

  it('unknown architectures without model_type list the supported architectures', async () => {
    const dir = tmp();
    writeConfig(dir, { architectures: ['MambaForCausalLM'] });
    await expect(AutoModel.fromPretrained(dir)).rejects.toThrow(
      /MambaForCausalLM.*supported architectures: BertForMaskedLM, .*LlamaForCausalLM/,
    );
    await expect(loadModelFromArchitecture(dir)).rejects.toThrow(/GPT2LMHeadModel/);
  });

  it('architectures alone identify the family', async () => {
    const dir = tmp();
    copyFixture('gpt2', dir);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    delete config.model_type;
    writeConfig(dir, config);
    const model = await AutoModelForCausalLM.fromPretrained(dir);
    expect(model).toBeInstanceOf(GPT2LMHeadModel);
  });

  it('a task the family lacks names the architectures that have it', async () => {
    await expect(AutoModelForMaskedLM.fromPretrained(fixtureDir('gpt2'))).rejects.toThrow(
      /AutoModelForMaskedLM: model_type 'gpt2' has no masked-lm architecture; AutoModelForMaskedLM supports: BertForMaskedLM/,
    );
  });

  it('a config for another family cannot load into a class', async () => {
    await expect(BertModel.fromPretrained(fixtureDir('llama'))).rejects.toThrow(
      /model_type 'llama' cannot be loaded into BertModel/,
    );
  });

  it('invalid values are ConfigErrors naming the field', () => {
    const cases: [() => unknown, RegExp][] = [
      [
        () => new GPT2Model({ ...tiny.gpt2, n_head: 3 }, { skipInit: true }),
        /field 'n_head'.*not divisible/,
      ],
      [
        () => new GPT2Model({ ...tiny.gpt2, vocab_size: 'many' as never }, { skipInit: true }),
        /field 'vocab_size'/,
      ],
      [
        () => new BertModel({ ...tiny.bert, hidden_act: 'gelu_2' as never }, { skipInit: true }),
        /field 'hidden_act'/,
      ],
      [
        () =>
          new BertModel(
            { ...tiny.bert, position_embedding_type: 'relative_key' },
            { skipInit: true },
          ),
        /field 'position_embedding_type'.*not supported/,
      ],
      [
        () => new LlamaForCausalLM({ ...tiny.llama, num_key_value_heads: 3 }, { skipInit: true }),
        /field 'num_key_value_heads'/,
      ],
      [
        () =>
          new LlamaForCausalLM(
            { ...tiny.llama, rope_scaling: { rope_type: 'yarn', factor: 4 } },
            { skipInit: true },
          ),
        /field 'rope_scaling\.rope_type'.*'yarn'/,
      ],
      [
        () =>
          new LlamaForCausalLM(
            { ...tiny.llama, rope_scaling: { type: 'linear' } },
            { skipInit: true },
          ),
        /field 'rope_scaling\.factor'/,
      ],
      [
        () =>
          new BertForSequenceClassification(
            { ...tiny.bert, id2label: { 0: 'a', 1: 'b' }, num_labels: 3 },
            { skipInit: true },
          ),
        /field 'num_labels'/,
      ],
      [
        () =>
          new BertForSequenceClassification(
            { ...tiny.bert, id2label: { 0: 'a', 2: 'b' } },
            { skipInit: true },
          ),
        /field 'id2label'/,
      ],
      [
        () => new GPT2Model({ ...tiny.gpt2, attn_pdrop: 1.5 }, { skipInit: true }),
        /field 'attn_pdrop'/,
      ],
    ];
    for (const [make, message] of cases) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('a bad value in config.json names the field and the file', async () => {
    const dir = tmp();
    copyFixture('llama', dir);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeConfig(dir, { ...config, rms_norm_eps: -1 });
    await expect(AutoModelForCausalLM.fromPretrained(dir)).rejects.toThrow(/field 'rms_norm_eps'/);
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama",');
    await expect(AutoModelForCausalLM.fromPretrained(dir)).rejects.toThrow(
      /config\.json: not valid JSON/,
    );
  });

  it('unknown config keys load with a warning, are kept and saved back', async () => {
    const dir = tmp();
    copyFixture('gpt2', dir);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeConfig(dir, { ...config, my_custom_flag: { a: 1 }, transformers_version: '4.40.0' });
    const w = warnings();
    const model = await GPT2LMHeadModel.fromPretrained(dir, { onWarning: w.onWarning });
    expect(w.list).toHaveLength(1);
    expect(w.list[0]).toMatch(/unknown key\(s\) 'my_custom_flag'/);
    const out = tmp();
    await model.savePretrained(out);
    const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(saved.my_custom_flag).toEqual({ a: 1 });
    expect(saved.transformers_version).toBe('4.40.0');
    expect(saved.n_embd).toBe(32);
  });

  it('__proto__ and constructor keys are rejected and pollute nothing', async () => {
    const dir = tmp();
    copyFixture('gpt2', dir);
    const text = readFileSync(join(dir, 'config.json'), 'utf8');
    for (const key of ['__proto__', 'constructor']) {
      writeFileSync(join(dir, 'config.json'), text.replace('{', `{"${key}": {"polluted": true},`));
      await expect(GPT2LMHeadModel.fromPretrained(dir)).rejects.toThrow(
        new RegExp(`key '${key}' is not allowed`),
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('missing files are CheckpointErrors; pickle checkpoints get a hint', async () => {
    const dir = tmp();
    await expect(AutoModel.fromPretrained(dir)).rejects.toThrow(CheckpointError);
    copyFixture('gpt2', dir);
    writeFileSync(join(dir, 'model.safetensors'), '');
    await expect(AutoModel.fromPretrained(dir)).rejects.toThrow(/model\.safetensors/);
    const other = tmp();
    copyFileSync(join(fixtureDir('gpt2'), 'config.json'), join(other, 'config.json'));
    writeFileSync(join(other, 'pytorch_model.bin'), 'pickle');
    await expect(AutoModel.fromPretrained(other)).rejects.toThrow(/found pytorch_model\.bin/);
  });

  it('shard indexes are validated', async () => {
    const dir = tmp();
    copyFixture('bert-qa', dir);
    const indexPath = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));
    const [first] = Object.keys(index.weight_map);
    writeFileSync(
      indexPath,
      JSON.stringify({
        ...index,
        weight_map: { ...index.weight_map, [first]: '../escape.safetensors' },
      }),
    );
    await expect(BertForQuestionAnswering.fromPretrained(dir)).rejects.toThrow(
      /must be a file name in the same directory/,
    );
    const second =
      index.weight_map[first] === 'model-00001-of-00002.safetensors'
        ? 'model-00002-of-00002.safetensors'
        : 'model-00001-of-00002.safetensors';
    writeFileSync(
      indexPath,
      JSON.stringify({ ...index, weight_map: { ...index.weight_map, [first]: second } }),
    );
    await expect(BertForQuestionAnswering.fromPretrained(dir)).rejects.toThrow(/does not hold it/);
    writeFileSync(indexPath, JSON.stringify({ metadata: {} }));
    await expect(BertForQuestionAnswering.fromPretrained(dir)).rejects.toThrow(/weight_map/);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
  });

  it('a weight of the wrong shape or dtype names the key', async () => {
    const dir = tmp();
    copyFileSync(join(fixtureDir('gpt2'), 'config.json'), join(dir, 'config.json'));
    const model = await GPT2LMHeadModel.fromPretrained(fixtureDir('gpt2'));
    const state = new Map(
      [...model.stateDict()].map(([k, t]) => [
        k,
        { dtype: 'F32' as const, shape: t.shape, data: t.data as Float32Array },
      ]),
    );
    state.set('transformer.ln_f.weight', { dtype: 'F32', shape: [3], data: new Float32Array(3) });
    await saveSafetensors(join(dir, 'model.safetensors'), state);
    await expect(GPT2LMHeadModel.fromPretrained(dir)).rejects.toThrow(
      /transformer\.ln_f\.weight: checkpoint shape \[3\], model transformer\.ln_f\.weight has \[32\]/,
    );
    state.set('transformer.ln_f.weight', {
      dtype: 'I32' as never,
      shape: [32],
      data: new Int32Array(32) as never,
    });
    await saveSafetensors(join(dir, 'model.safetensors'), state);
    await expect(GPT2LMHeadModel.fromPretrained(dir)).rejects.toThrow(
      /dtype I32 is not a float type/,
    );
  });

  it('new models need rng or skipInit', () => {
    expect(() => new LlamaForCausalLM(tiny.llama)).toThrow(/pass rng/);
    const zeros = new LlamaForCausalLM(tiny.llama, { skipInit: true });
    expect(zeros.lm_head.weight.data.every((v) => v === 0)).toBe(true);
  });

  it('loading is deterministic and returns eval-mode models', async () => {
    const a = await AutoModelForCausalLM.fromPretrained(fixtureDir('llama'));
    const b = await AutoModelForCausalLM.fromPretrained(fixtureDir('llama'));
    expect(a.training).toBe(false);
    expectSameState(a, b);
    const x = new Tensor(Int32Array.from([5, 6, 7]), [1, 3]);
    expect(Array.from(noGrad(() => a.forward({ inputIds: x }).logits).data)).toEqual(
      Array.from(noGrad(() => b.forward({ inputIds: x }).logits).data),
    );
  });
});
