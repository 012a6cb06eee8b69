import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Tensor } from '../../src/core/index.js';
import { LlamaForCausalLM, type PreTrainedModel } from '../../src/models/index.js';
import { AutoTokenizer } from '../../src/text/index.js';
import { tempDirs, warnings } from './helpers.js';
import {
  expected,
  expectedLogits,
  HF_REAL,
  loadBase,
  forwardLogits,
  readJson,
  tensorShapes,
  worstScaledError,
} from './hf-real.js';

/**
 * Models and tokenizers written by the real transformers 5 / tokenizers (see
 * scripts/golden/make_hf_real_fixtures.py): they load without warnings and compute the logits
 * those libraries computed; what we save has their weight names and config fields.
 */

const tmp = tempDirs();
const MODELS = Object.keys(expected.models);

const forward = (model: PreTrainedModel, name: string): Tensor => forwardLogits(model, name);

describe('models saved by transformers', () => {
  it('records the library versions it was made with', () => {
    expect(expected.versions.transformers).toMatch(/^5\./);
    expect(MODELS).toEqual(['gpt2', 'bert-seqcls', 'bert-qa', 'llama']);
  });

  it.each(MODELS)('%s loads without warnings and gives transformers’ logits', async (name) => {
    const w = warnings();
    const model = await loadBase(name, w.onWarning);
    expect(model.spec.architecture).toBe(expected.models[name].architecture);
    expect(w.list).toEqual([]);
    const want = expectedLogits(name);
    const got = forward(model, name);
    expect(got.shape).toEqual(want.shape);
    expect(worstScaledError(got.data, want.data)).toBeLessThanOrEqual(1);
  });

  it.each(MODELS)('%s saved by Osmosis has the weight names and config fields', async (name) => {
    const dir = tmp();
    await (await loadBase(name)).savePretrained(dir);
    const file = 'model.safetensors';
    expect(tensorShapes(join(dir, file))).toEqual(tensorShapes(join(HF_REAL, name, file)));
    const real = readJson(join(HF_REAL, name, 'config.json'));
    const ours = readJson(join(dir, 'config.json'));
    for (const [k, v] of Object.entries(real)) expect(ours[k], k).toEqual(v);
    // And it loads back to the same logits.
    const back = await loadBase(name, undefined, dir);
    expect(worstScaledError(forward(back, name).data, expectedLogits(name).data)).toBeLessThan(1);
  });
});

describe("transformers 5's rope_parameters", () => {
  const config = readJson(join(HF_REAL, 'llama', 'config.json'));

  it('carries rope_theta (the fixture uses 500000, not the default 10000)', () => {
    expect(config.rope_theta).toBeUndefined();
    const model = new LlamaForCausalLM({ ...config }, { skipInit: true });
    expect(model.config.rope_theta).toBe(500000);
    expect(model.config.rope_scaling).toBeNull();
    const old = new LlamaForCausalLM(
      { ...config, rope_parameters: undefined, rope_theta: 500000 },
      { skipInit: true },
    );
    expect(old.config.rope_theta).toBe(500000);
  });

  it('turns a scaling rope type into rope_scaling', () => {
    const rope = { rope_type: 'linear', factor: 2, rope_theta: 10000 };
    const model = new LlamaForCausalLM({ ...config, rope_parameters: rope }, { skipInit: true });
    expect(model.config.ropeScaling).toEqual({ kind: 'linear', factor: 2 });
  });

  it('rejects legacy fields that disagree with it, naming the field', () => {
    expect(
      () => new LlamaForCausalLM({ ...config, rope_theta: 10000 }, { skipInit: true }),
    ).toThrow(ConfigError);
    expect(
      () => new LlamaForCausalLM({ ...config, rope_theta: 10000 }, { skipInit: true }),
    ).toThrow(/rope_theta.*500000/);
    expect(
      () =>
        new LlamaForCausalLM(
          { ...config, rope_scaling: { rope_type: 'linear', factor: 2 } },
          { skipInit: true },
        ),
    ).toThrow(/field 'rope_scaling'/);
    expect(
      () =>
        new LlamaForCausalLM(
          { ...config, rope_parameters: { rope_theta: -1 } },
          { skipInit: true },
        ),
    ).toThrow(/rope_parameters\.rope_theta/);
  });
});

describe('tokenizers saved by transformers 5 (tokenizer.json + tokenizer_config.json)', () => {
  it.each(['gpt2', 'bert-seqcls'])(
    '%s: a padded batch gives the same ids and mask',
    async (name) => {
      const tok = await AutoTokenizer.fromPretrained(join(HF_REAL, name));
      const { input_ids: ids, attention_mask: mask } = expected.models[name];
      const width = ids.shape[1];
      const rows = (flat: number[]): number[][] =>
        expected.texts.map((_, r) => flat.slice(r * width, (r + 1) * width));
      const enc = tok(expected.texts, { padding: true });
      expect(enc.inputIds).toEqual(rows(ids.data));
      expect(enc.attentionMask).toEqual(rows(mask.data));
    },
  );

  it('bert-qa: (question, context) pairs give the same ids, mask and token type ids', async () => {
    const tok = await AutoTokenizer.fromPretrained(join(HF_REAL, 'bert-qa'));
    const m = expected.models['bert-qa'];
    const width = m.input_ids.shape[1];
    const rows = (flat: number[]): number[][] =>
      expected.qa_pairs.map((_, r) => flat.slice(r * width, (r + 1) * width));
    const enc = tok(
      expected.qa_pairs.map((p) => p[0]),
      { textPair: expected.qa_pairs.map((p) => p[1]), padding: true },
    );
    expect(enc.inputIds).toEqual(rows(m.input_ids.data));
    expect(enc.attentionMask).toEqual(rows(m.attention_mask.data));
    expect(enc.tokenTypeIds).toEqual(rows(m.token_type_ids!.data));
  });
});
