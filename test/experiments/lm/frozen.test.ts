/**
 * Frozen-base transfer leaves the pretrained weights bitwise unchanged: for every PEFT method
 * and the linear head, after real optimizer steps, the base parameters hold the same bits,
 * while the trained ones moved; and the source model a job copies from is never touched.
 */
import { describe, expect, it } from 'vitest';
import { Generator } from '../../../src/core/rng.js';
import { parseExperimentYaml } from '../../../src/experiments/index.js';
import { GPT2LMHeadModel } from '../../../src/models/index.js';
import {
  buildJobModel,
  changedParameters,
  classificationDataset,
  lmDataset,
  modelConfig,
  snapshot,
  trainJob,
  validateLmExperiment,
  type LmMethod,
} from '../../../src/experiments/lm/index.js';
import { PreTrainedTokenizer, trainTokenizer } from '../../../src/text/index.js';
import { tempDir, tinyConfig } from './helpers.js';

const TEXTS = Array.from({ length: 60 }, (_, i) =>
  ['the small tool', 'a music player', 'matrix solver for algebra'][i % 3]!.concat(` number ${i}`),
);

const PEFT: Record<string, Record<string, unknown>> = {
  lora: { peft_type: 'LORA', r: 2, target_modules: ['c_attn', 'c_fc'] },
  adapter: { peft_type: 'BOTTLENECK', reduction_factor: 4 },
  ia3: { peft_type: 'IA3' },
  prompt: { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 2 },
  prefix: { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 2 },
};

function bits(model: GPT2LMHeadModel): string[] {
  return model
    .namedParameters()
    .map(
      ([n, p]) =>
        `${n}:${Buffer.from(Float32Array.from(p.data as ArrayLike<number>).buffer).toString('base64')}`,
    );
}

async function check(task: 'causal-lm' | 'classification', method: LmMethod): Promise<void> {
  const exp = validateLmExperiment(
    parseExperimentYaml(
      tinyConfig(task, `  - { name: x, kind: full }`).replace(
        'jsonl, file: tiny.jsonl',
        'jsonl, file: none',
      ),
    ),
  );
  exp.methods = [method];
  const tok = PreTrainedTokenizer.fromTokenizer(
    trainTokenizer(TEXTS, { kind: 'byte-level-bpe', vocabSize: 300 }),
  );
  const source = new GPT2LMHeadModel(modelConfig(exp, tok), { rng: new Generator(3) });
  const sourceBits = bits(source);
  const job = buildJobModel(exp, method, source, tok, 0, 3);
  expect(job.trainable).toBeLessThan(job.total);
  expect(job.frozen.length).toBeGreaterThan(0);
  const before = snapshot(job.frozen);
  const trainedBefore = snapshot(job.model.namedParameters().filter(([, p]) => p.requiresGrad));
  const items = TEXTS.map((text, i) => ({ text, label: ['a', 'b', 'c'][i % 3]! }));
  const data =
    task === 'causal-lm'
      ? lmDataset(tok, items, exp.model.blockSize, 'test').examples
      : classificationDataset(tok, items, ['a', 'b', 'c'], 12);
  await trainJob({
    exp,
    job,
    train: data,
    evalSet: data.slice(0, 4),
    padId: tok.eosTokenId!,
    lr: 0.05,
    seed: 0,
    outputDir: tempDir('frozen'),
  });
  expect(changedParameters(job.frozen, before)).toEqual([]);
  const trained = job.model.namedParameters().filter(([, p]) => p.requiresGrad);
  expect(changedParameters(trained, trainedBefore).length).toBeGreaterThan(0);
  expect(bits(source)).toEqual(sourceBits);
}

describe('frozen-base transfer', () => {
  for (const [name, peft] of Object.entries(PEFT)) {
    it(`${name} (causal LM): base weights bitwise unchanged, adapter weights trained`, async () => {
      await check('causal-lm', { name, kind: 'peft', peft });
    });
  }
  it('lora (classification) and the linear head: base weights bitwise unchanged', async () => {
    await check('classification', { name: 'lora', kind: 'peft', peft: PEFT.lora! });
    await check('classification', { name: 'head', kind: 'head' });
  });

  it('the check can fail: one flipped bit in a frozen weight is reported by name', () => {
    const model = new GPT2LMHeadModel(
      { vocab_size: 10, n_positions: 4, n_embd: 4, n_layer: 1, n_head: 1 },
      { rng: new Generator(0) },
    );
    const params = model.namedParameters();
    const before = snapshot(params);
    const [name, p] = params.find(([n]) => n.endsWith('c_attn.weight'))!;
    const data = p.data as Float32Array;
    const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
    u[0] = u[0]! ^ 1;
    expect(changedParameters(params, before)).toEqual([name]);
  });
});
