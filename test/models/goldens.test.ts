import { describe, expect, it } from 'vitest';
import { noGrad, type Tensor } from '../../src/core/index.js';
import {
  AutoModelForCausalLM,
  AutoModelForMaskedLM,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  AutoModelForTokenClassification,
  BertForMaskedLM,
  GPT2LMHeadModel,
  LlamaForCausalLM,
  loadModelFromArchitecture,
  loadPretrained,
  type PreTrainedModel,
  type PreTrainedModelClass,
} from '../../src/models/index.js';
import {
  fixtureDir,
  ids,
  maxScaledError,
  readGolden,
  warnings,
  type FixtureTensor,
  type GoldenCase,
} from './helpers.js';

/**
 * Tiny random checkpoints written by scripts/golden/make_model_goldens.py (PyTorch re-statements of
 * Hugging Face's GPT-2, BERT and Llama with HF names, saved in save_pretrained's layout): the
 * loaders must read them and the forward passes must reproduce PyTorch's logits and losses.
 */

const INPUT_NAMES: Record<string, string> = {
  input_ids: 'inputIds',
  attention_mask: 'attentionMask',
  token_type_ids: 'tokenTypeIds',
  labels: 'labels',
  start_positions: 'startPositions',
  end_positions: 'endPositions',
};
const OUTPUT_NAMES: Record<string, string> = {
  logits: 'logits',
  start_logits: 'startLogits',
  end_logits: 'endLogits',
  loss: 'loss',
};

// float32 forward passes of 2-layer models with O(1) activations agree with PyTorch to ~2e-6.
const ATOL = 1e-5;
const RTOL = 1e-5;

function inputsOf(c: GoldenCase): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [INPUT_NAMES[k], ids(v)]));
}

type Forward = (inputs: Record<string, Tensor>) => Record<string, Tensor | undefined>;

function checkCase(model: PreTrainedModel, c: GoldenCase): void {
  const forward = (model as unknown as { forward: Forward }).forward.bind(model);
  const out = noGrad(() => forward(inputsOf(c)));
  for (const [name, expected] of Object.entries(c.outputs)) {
    const key = OUTPUT_NAMES[name];
    if (!key) continue;
    const actual = out[key];
    expect(actual, `${c.name}: ${name}`).toBeDefined();
    if (typeof expected === 'number') {
      expect(Math.abs(actual!.item() - expected), `${c.name}: ${name}`).toBeLessThan(ATOL);
    } else {
      const t = expected as FixtureTensor;
      expect(actual!.shape).toEqual(t.shape);
      expect(maxScaledError(actual!.data, t.data, ATOL, RTOL), `${c.name}: ${name}`).toBeLessThan(
        1,
      );
    }
  }
}

const FIXTURES = [
  'gpt2',
  'gpt2-f16',
  'bert-mlm',
  'bert-seqcls',
  'bert-tokcls',
  'bert-qa',
  'llama',
  'llama-bf16',
];

describe('golden checkpoints (PyTorch, HF layout)', () => {
  for (const name of FIXTURES) {
    it(`${name}: loads cleanly and matches PyTorch`, async () => {
      const w = warnings();
      const golden = readGolden(name);
      const { model, info } = await loadModelFromArchitecture(fixtureDir(name), {
        onWarning: w.onWarning,
        strict: true,
      });
      expect(model.spec.architecture).toBe(golden.architecture);
      expect(info.missingKeys).toEqual([]);
      expect(info.unexpectedKeys).toEqual([]);
      expect(w.list).toEqual([]);
      expect(model.training).toBe(false);
      for (const c of golden.cases) checkCase(model, c);
    });
  }

  it('the Auto classes pick the same architectures', async () => {
    const pairs = [
      [AutoModelForCausalLM, 'gpt2', 'GPT2LMHeadModel'],
      [AutoModelForCausalLM, 'llama', 'LlamaForCausalLM'],
      [AutoModelForMaskedLM, 'bert-mlm', 'BertForMaskedLM'],
      [AutoModelForSequenceClassification, 'bert-seqcls', 'BertForSequenceClassification'],
      [AutoModelForTokenClassification, 'bert-tokcls', 'BertForTokenClassification'],
      [AutoModelForQuestionAnswering, 'bert-qa', 'BertForQuestionAnswering'],
    ] as const;
    for (const [auto, dir, arch] of pairs) {
      const model = await auto.fromPretrained(fixtureDir(dir));
      expect(model.spec.architecture).toBe(arch);
      checkCase(model, readGolden(dir).cases[0]);
    }
  });

  it('gpt2-f16: prefix-less keys are mapped, legacy attn buffers ignored', async () => {
    const { info } = await loadModelFromArchitecture(fixtureDir('gpt2-f16'));
    expect(info.ignoredKeys).toEqual([
      'h.0.attn.bias',
      'h.0.attn.masked_bias',
      'h.1.attn.bias',
      'h.1.attn.masked_bias',
    ]);
  });

  it('bert-qa: reads both shards through the index', async () => {
    const { info } = await loadModelFromArchitecture(fixtureDir('bert-qa'));
    expect(info.files).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });

  it('loss gradients match PyTorch (gradient norm of every parameter)', async () => {
    for (const [cls, name] of [
      [GPT2LMHeadModel, 'gpt2'],
      [LlamaForCausalLM, 'llama'],
    ] as const) {
      const loaded = await loadPretrained(cls as PreTrainedModelClass, fixtureDir(name));
      const model = loaded.model as unknown as PreTrainedModel & { forward: Forward };
      const c = readGolden(name).cases[0];
      const expected = c.outputs.grad_norms as Record<string, number>;
      const loss = model.forward(inputsOf(c)).loss!;
      loss.backward();
      // Both list a tied weight once, under its first name (transformer.wte.weight).
      const params = new Map(model.namedParameters());
      expect([...params.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [key, norm] of Object.entries(expected)) {
        const p = params.get(key)!;
        let sq = 0;
        for (const g of p.grad!.data) sq += g * g;
        expect(Math.abs(Math.sqrt(sq) - norm), `${name}: ${key}`).toBeLessThan(1e-4 * (1 + norm));
      }
    }
  });

  it('BertForMaskedLM ties the decoder to the word embeddings and its bias', async () => {
    const model = await BertForMaskedLM.fromPretrained(fixtureDir('bert-mlm'));
    const predictions = model.cls.predictions;
    expect(predictions.decoder.weight).toBe(model.bert.embeddings.word_embeddings.weight);
    expect(predictions.decoder.bias).toBe(predictions.bias);
  });
});
