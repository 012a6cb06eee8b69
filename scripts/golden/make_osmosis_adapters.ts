/**
 * The reverse direction of test/fixtures/hf-real: adapters and models saved by Osmosis, for the
 * real peft / transformers to load (scripts/golden/check_osmosis_adapters_in_peft.py).
 *
 * For every adapter in test/fixtures/hf-real it makes a new adapter on the same base model from
 * the same adapter_config.json (as training would start), moves its weights away from their
 * init with a seeded generator, saves it with PeftModel.savePretrained and records Osmosis's
 * logits for the fixture inputs. It also saves each base model with savePretrained, and its
 * tokenizer (read from the fixture) with the tokenizer's savePretrained.
 *
 *   npx tsx scripts/golden/make_osmosis_adapters.ts [out]     (default .tmp/osmosis-adapters)
 *   /work/.venv-hf/bin/python scripts/golden/check_osmosis_adapters_in_peft.py [out]
 *
 * out/: adapters/<name>/ (PEFT layout), models/<model>/ (config.json + model.safetensors, and
 * tokenizer files where the fixture has a tokenizer),
 * logits.safetensors (`adapters/<name>` -> [batch, seq, vocab] or [batch, labels]).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Generator, noGrad, saveSafetensors, type Tensor } from '../../src/core/index.js';
import { getPeftModel, type PeftConfigInput } from '../../src/peft/index.js';
import { AutoTokenizer } from '../../src/text/index.js';
import { expected, HF_REAL, loadBase, modelInputs, readJson } from '../../test/models/hf-real.js';

const out = resolve(process.argv[2] ?? '.tmp/osmosis-adapters');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'adapters'), { recursive: true });

const logits = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
let seed = 1000;
for (const [name, { model }] of Object.entries(expected.adapters)) {
  seed += 1;
  const base = await loadBase(model);
  const config = readJson(join(HF_REAL, 'adapters', name, 'adapter_config.json'));
  const input = { ...config, inference_mode: false } as unknown as PeftConfigInput;
  const peft = getPeftModel(base, input, {
    rng: new Generator(seed),
  });
  // As training would: every trainable tensor (LoRA's zero B, IA3's ones, prompts) moves.
  const rng = new Generator(seed + 500);
  for (const p of peft.trainableParameters()) {
    for (let i = 0; i < p.size; i++) p.data[i] += rng.normal(0, 0.2);
  }
  peft.eval();
  await peft.savePretrained(join(out, 'adapters', name));
  const y = noGrad(() => peft.forward(modelInputs(model))).logits as Tensor;
  logits.set(`adapters/${name}`, {
    dtype: 'F32',
    shape: [...y.shape],
    data: Float32Array.from(y.data),
  });
}
for (const model of Object.keys(expected.models)) {
  const dir = join(out, 'models', model);
  await (await loadBase(model)).savePretrained(dir);
  if (existsSync(join(HF_REAL, model, 'tokenizer.json'))) {
    await (await AutoTokenizer.fromPretrained(join(HF_REAL, model))).savePretrained(dir);
  }
}
await saveSafetensors(join(out, 'logits.safetensors'), logits, {
  generator: 'scripts/golden/make_osmosis_adapters.ts',
});
console.log(
  `wrote ${logits.size} adapters and ${Object.keys(expected.models).length} models to ${out}`,
);
