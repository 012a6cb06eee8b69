/**
 * GPT2ForQuestionAnswering against the real transformers 5 (fixture written by
 * scripts/golden/make_gpt2_qa_fixture.py): it loads through AutoModelForQuestionAnswering without
 * warnings, gives transformers' start/end logits, span loss and gradients, saves under HF's names,
 * and starts from a GPT2LMHeadModel checkpoint with only the new head missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor } from '../../src/core/index.js';
import {
  AutoModelForQuestionAnswering,
  GPT2ForQuestionAnswering,
  GPT2LMHeadModel,
  loadPretrained,
  supportedArchitectures,
} from '../../src/models/index.js';
import { tempDirs, warnings } from './helpers.js';
import { HF_REAL, readJson, tensorShapes, worstScaledError } from './hf-real.js';

const DIR = join(HF_REAL, 'gpt2-qa');
const tmp = tempDirs();

interface Flat {
  shape: number[];
  data: number[];
}
const want = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  versions: Record<string, string>;
  inputs: Record<
    'input_ids' | 'attention_mask' | 'token_type_ids' | 'start_positions' | 'end_positions',
    Flat
  >;
  start_logits: Flat;
  end_logits: Flat;
  loss: number;
  grad: Record<string, Flat>;
  grad_norms: Record<string, number>;
};

const ids = (f: Flat): Tensor => new Tensor(Int32Array.from(f.data), f.shape);
const inputs = {
  inputIds: ids(want.inputs.input_ids),
  attentionMask: ids(want.inputs.attention_mask),
  tokenTypeIds: ids(want.inputs.token_type_ids),
  startPositions: ids(want.inputs.start_positions),
  endPositions: ids(want.inputs.end_positions),
};

async function load(dir = DIR): Promise<GPT2ForQuestionAnswering> {
  const w = warnings();
  const model = await AutoModelForQuestionAnswering.fromPretrained(dir, w);
  expect(w.list).toEqual([]);
  expect(model).toBeInstanceOf(GPT2ForQuestionAnswering);
  return model as GPT2ForQuestionAnswering;
}

describe('GPT2ForQuestionAnswering', () => {
  it('is registered for question answering beside BERT', () => {
    expect(want.versions.transformers).toMatch(/^5\./);
    expect(supportedArchitectures('question-answering')).toContain('GPT2ForQuestionAnswering');
  });

  it("gives transformers' start/end logits, span loss and gradients", async () => {
    const model = await load();
    model.eval();
    const out = model.forward(inputs);
    expect(out.startLogits.shape).toEqual(want.start_logits.shape);
    expect(worstScaledError(out.startLogits.data, want.start_logits.data)).toBeLessThanOrEqual(1);
    expect(worstScaledError(out.endLogits.data, want.end_logits.data)).toBeLessThanOrEqual(1);
    // Row 1's start position lies past the sequence: ignored, as transformers ignores it.
    expect(Math.abs(out.loss!.item() - want.loss)).toBeLessThan(1e-4 * (1 + want.loss));
    out.loss!.backward();
    const params = new Map(model.namedParameters());
    expect([...params.keys()].sort()).toEqual(Object.keys(want.grad_norms).sort());
    for (const [key, norm] of Object.entries(want.grad_norms)) {
      let sq = 0;
      for (const g of params.get(key)!.grad!.data) sq += g * g;
      expect(Math.abs(Math.sqrt(sq) - norm), key).toBeLessThan(1e-4 * (1 + norm));
    }
    for (const [key, g] of Object.entries(want.grad)) {
      expect(worstScaledError(params.get(key)!.grad!.data, g.data), key).toBeLessThanOrEqual(1);
    }
  });

  it("saves transformers' weight names and config fields, and loads back", async () => {
    const dir = tmp();
    await (await load()).savePretrained(dir);
    const file = 'model.safetensors';
    expect(tensorShapes(join(dir, file))).toEqual(tensorShapes(join(DIR, file)));
    const real = readJson(join(DIR, 'config.json'));
    const ours = readJson(join(dir, 'config.json'));
    for (const k of ['architectures', 'model_type', 'n_embd', 'n_layer', 'n_head', 'vocab_size'])
      expect(ours[k], k).toEqual(real[k]);
    const back = await load(dir);
    back.eval();
    const out = back.forward(inputs);
    expect(worstScaledError(out.startLogits.data, want.start_logits.data)).toBeLessThanOrEqual(1);
  });

  it('starts from a GPT2LMHeadModel checkpoint: only qa_outputs is new', async () => {
    const dir = tmp();
    const lm = new GPT2LMHeadModel(
      { vocab_size: 64, n_positions: 24, n_embd: 16, n_layer: 1, n_head: 2 },
      { rng: new Generator(0) },
    );
    await lm.savePretrained(dir);
    const { model, info } = await loadPretrained(GPT2ForQuestionAnswering, dir, {
      rng: new Generator(1),
    });
    expect(info.missingKeys.sort()).toEqual(['qa_outputs.bias', 'qa_outputs.weight']);
    expect(info.unexpectedKeys).toEqual([]);
    expect(model.transformer.wte.weight.data).toEqual(lm.transformer.wte.weight.data);
  });
});
