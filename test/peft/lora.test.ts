import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  matmul,
  noGrad,
  readSafetensorsHeader,
  Tensor,
  ValueError,
} from '../../src/core/index.js';
import { Linear } from '../../src/nn/index.js';
import {
  getPeftModel,
  isTargeted,
  LoraLayer,
  loraScaling,
  PeftModel,
  type LoraConfig,
} from '../../src/peft/index.js';
import { collectWarnings, FAMILIES, logits, maxAbsDiff, perturb, tempDirs } from './helpers.js';

const tmp = tempDirs();
const [gpt2, bert, llama] = FAMILIES;
const quiet = { onWarning: () => undefined };

function loraLayers(peft: PeftModel): [string, LoraLayer][] {
  return peft
    .getBaseModel()
    .namedModules()
    .filter((e): e is [string, LoraLayer] => e[1] instanceof LoraLayer);
}

describe('LoRA scaling', () => {
  it('is alpha / r, or alpha / sqrt(r) with rsLoRA', () => {
    expect(loraScaling(16, 4, false)).toBe(4);
    expect(loraScaling(16, 4, true)).toBe(8);
  });

  it.each([
    [false, 16 / 4],
    [true, 16 / 2],
  ])('rslora=%s: y = base(x) + s · B A x on a Linear', async (rs, s) => {
    const peft = getPeftModel(
      await bert.load(),
      { peft_type: 'LORA', r: 4, lora_alpha: 16, use_rslora: rs },
      quiet,
    );
    perturb(peft, 3);
    const layer = peft
      .getBaseModel()
      .getSubmodule('bert.encoder.layer.0.attention.self.query') as LoraLayer;
    expect(layer.scaling('default')).toBe(s);
    const x = new Tensor(
      Float32Array.from({ length: 2 * 32 }, (_, i) => Math.sin(i)),
      [2, 32],
    );
    const got = noGrad(() => layer.forward(x)).data;
    const base = noGrad(() => layer.base_layer.forward(x)).data;
    const ax = noGrad(() => matmul(x, layer.lora_A.get('default').weight, { transB: true }));
    const bax = noGrad(() => matmul(ax, layer.lora_B.get('default').weight, { transB: true })).data;
    const want = Array.from(base, (b, i) => b + s * bax[i]);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });
});

describe('LoRA init', () => {
  it('A is kaiming-uniform(a=√5) (|A| <= 1/√in), B is zero: the model starts as the base model', async () => {
    const base = logits(await gpt2.load(), gpt2.inputs());
    const peft = getPeftModel(await gpt2.load(), { peft_type: 'LORA', r: 4 }, quiet);
    for (const [, l] of loraLayers(peft)) {
      const a = l.lora_A.get('default').weight.data;
      expect(Math.max(...Array.from(a, Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(32));
      expect(Math.max(...Array.from(a, Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(32));
      expect(Array.from(l.lora_B.get('default').weight.data).every((v) => v === 0)).toBe(true);
    }
    expect(logits(peft, gpt2.inputs())).toEqual(base);
  });

  it("init_lora_weights 'gaussian' draws A from N(0, 1/r)", async () => {
    const peft = getPeftModel(
      await bert.load(),
      { peft_type: 'LORA', r: 8, target_modules: ['query'], init_lora_weights: 'gaussian' },
      quiet,
    );
    const a = Array.from(
      loraLayers(peft).flatMap(([, l]) => Array.from(l.lora_A.get('default').weight.data)),
    );
    const std = Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std).toBeGreaterThan(0.08);
    expect(std).toBeLessThan(0.17);
  });
});

describe('target module matching (PEFT rules)', () => {
  const sel = (target_modules: string | string[], extra: Partial<LoraConfig> = {}) => ({
    target_modules,
    ...extra,
  });
  it('matches a list by exact name or dotted suffix', () => {
    expect(isTargeted('transformer.h.0.attn.c_attn', sel(['c_attn']))).toBe(true);
    expect(isTargeted('transformer.h.0.attn.c_attn', sel(['attn.c_attn']))).toBe(true);
    expect(isTargeted('transformer.h.0.attn.c_attn', sel(['ttn.c_attn']))).toBe(false);
    expect(isTargeted('c_attn', sel(['c_attn']))).toBe(true);
    expect(isTargeted('transformer.h.1.attn.c_attn', sel(['h.0.attn.c_attn']))).toBe(false);
  });

  it('treats a string as a regex that must match the whole path', () => {
    expect(isTargeted('transformer.h.0.attn.c_attn', sel('.*\\.0\\.attn\\.c_attn'))).toBe(true);
    expect(isTargeted('transformer.h.1.attn.c_attn', sel('.*\\.0\\.attn\\.c_attn'))).toBe(false);
    expect(isTargeted('transformer.h.0.attn.c_attn', sel('c_attn'))).toBe(false);
    expect(isTargeted('model.layers.1.self_attn.q_proj', sel('.*(q|v)_proj'))).toBe(true);
  });

  it('honours layers_to_transform, layers_pattern and exclude_modules', () => {
    expect(
      isTargeted('transformer.h.1.attn.c_attn', sel(['c_attn'], { layers_to_transform: [1] })),
    ).toBe(true);
    expect(
      isTargeted('transformer.h.0.attn.c_attn', sel(['c_attn'], { layers_to_transform: [1] })),
    ).toBe(false);
    expect(
      isTargeted(
        'transformer.h.0.attn.c_attn',
        sel(['c_attn'], { layers_to_transform: 0, layers_pattern: 'h' }),
      ),
    ).toBe(true);
    expect(
      isTargeted(
        'transformer.h.0.attn.c_attn',
        sel(['c_attn'], { exclude_modules: ['h.0.attn.c_attn'] }),
      ),
    ).toBe(false);
  });

  it('wraps exactly the matched layers of a model; rank_pattern sets per-layer r', async () => {
    const peft = getPeftModel(
      await llama.load(),
      {
        peft_type: 'LORA',
        r: 2,
        target_modules: '.*\\.1\\.self_attn\\.(q|v)_proj',
        rank_pattern: { v_proj: 6 },
      },
      quiet,
    );
    expect(loraLayers(peft).map(([n, l]) => [n, l.lora_A.get('default').outFeatures])).toEqual([
      ['model.layers.1.self_attn.q_proj', 2],
      ['model.layers.1.self_attn.v_proj', 6],
    ]);
  });

  it('rejects targets that match nothing or are not linear', async () => {
    await expect(async () =>
      getPeftModel(await gpt2.load(), { peft_type: 'LORA', target_modules: ['nope'] }, quiet),
    ).rejects.toThrow(/not found in the base model/);
    await expect(async () =>
      getPeftModel(await gpt2.load(), { peft_type: 'LORA', target_modules: ['attn'] }, quiet),
    ).rejects.toThrow(ValueError);
  });
});

describe('LoRA on GPT-2 Conv1D (fan_in_fan_out)', () => {
  it('corrects fan_in_fan_out with a warning and merges the transposed delta', async () => {
    const w = collectWarnings();
    const peft = getPeftModel(
      await gpt2.load(),
      { peft_type: 'LORA', r: 2 },
      { onWarning: w.onWarning },
    );
    expect(w.list.some((m) => m.includes('fan_in_fan_out'))).toBe(true);
    expect((peft.peftConfig.default as LoraConfig).fan_in_fan_out).toBe(true);
    perturb(peft, 5);
    const [, layer] = loraLayers(peft)[0];
    const before = layer.base_layer.weight.data.slice();
    const delta = layer.deltaWeight('default');
    expect(delta.shape).toEqual([32, 96]);
    peft.merge();
    const after = layer.base_layer.weight.data;
    expect(
      maxAbsDiff(
        Array.from(after, (v, i) => v - before[i]),
        delta.data,
      ),
    ).toBeLessThan(1e-6);
  });
});

describe('weighted combination of LoRA adapters (PEFT add_weighted_adapter)', () => {
  async function twoAdapters(r2 = 4) {
    const peft = getPeftModel(
      await bert.load(),
      { peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['query'] },
      quiet,
    );
    perturb(peft, 1, 0.3);
    peft.addAdapter('b', { peft_type: 'LORA', r: r2, lora_alpha: 4, target_modules: ['query'] });
    peft.setAdapter('b');
    perturb(peft, 2, 0.3);
    peft.setAdapter('default');
    return peft;
  }

  it("'cat': the new delta is exactly Σ wᵢ·Δᵢ, rank r₁ + r₂, scaling 1", async () => {
    const peft = await twoAdapters(2);
    peft.addWeightedAdapter(['default', 'b'], [0.7, -1.5], 'mix', 'cat');
    const config = peft.peftConfig.mix as LoraConfig;
    expect([config.r, config.lora_alpha]).toEqual([6, 6]);
    for (const [, l] of loraLayers(peft)) {
      expect(l.scaling('mix')).toBe(1);
      const want = Array.from(
        l.deltaWeight('default').data,
        (v, i) => 0.7 * v - 1.5 * l.deltaWeight('b').data[i],
      );
      expect(maxAbsDiff(l.deltaWeight('mix').data, want)).toBeLessThan(1e-6);
    }
    // The new adapter is not trainable until it is activated.
    expect(peft.trainableParameters().length).toBe(4);
  });

  it("'linear': A = Σ √(wᵢsᵢ)Aᵢ and B = Σ √(wᵢsᵢ)Bᵢ (PEFT's task arithmetic)", async () => {
    const peft = await twoAdapters();
    peft.addWeightedAdapter(['default', 'b'], [0.5, 2], 'lin', 'linear');
    for (const [, l] of loraLayers(peft)) {
      const c1 = Math.sqrt(0.5 * l.scaling('default'));
      const c2 = Math.sqrt(2 * l.scaling('b'));
      for (const part of ['lora_A', 'lora_B'] as const) {
        const a = l[part].get('default').weight.data;
        const b = l[part].get('b').weight.data;
        const want = Array.from(a, (v, i) => c1 * v + c2 * b[i]);
        expect(maxAbsDiff(l[part].get('lin').weight.data, want)).toBeLessThan(1e-6);
      }
    }
  });

  it('checks its arguments', async () => {
    const peft = await twoAdapters(2);
    expect(() => peft.addWeightedAdapter(['default', 'b'], [1, 1], 'x', 'linear')).toThrow(
      /same r/,
    );
    expect(() => peft.addWeightedAdapter(['default', 'zzz'], [1, 1], 'x', 'cat')).toThrow(
      /does not exist/,
    );
    expect(() => peft.addWeightedAdapter(['default'], [1, 2], 'x', 'cat')).toThrow(/weights/);
    expect(() => peft.addWeightedAdapter(['default', 'b'], [1, 1], 'x', 'svd' as 'cat')).toThrow(
      /not implemented/,
    );
  });
});

describe('LoRA bias and modules_to_save', () => {
  it("bias 'all' / 'lora_only' train the biases PEFT trains", async () => {
    const all = getPeftModel(await bert.load(), { peft_type: 'LORA', r: 2, bias: 'all' }, quiet);
    const biases = all
      .getBaseModel()
      .namedParameters()
      .filter(([n]) => n.includes('bias'));
    const loraCount = 2 * 2 * 2 * (32 + 32);
    expect(all.trainableParameterReport().trainable).toBe(
      loraCount + biases.reduce((s, [, p]) => s + p.size, 0),
    );
    const only = getPeftModel(
      await bert.load(),
      { peft_type: 'LORA', r: 2, bias: 'lora_only' },
      quiet,
    );
    expect(only.trainableParameterReport().trainable).toBe(loraCount + 4 * 32);
  });

  it('task_type SEQ_CLS trains and saves the classifier as PEFT does', async () => {
    const peft = getPeftModel(
      await bert.load(),
      { peft_type: 'LORA', r: 2, task_type: 'SEQ_CLS' },
      quiet,
    );
    expect(peft.trainableParameterReport().trainable).toBe(2 * 2 * 2 * 64 + 32 * 3 + 3);
    perturb(peft, 4);
    const before = logits(peft, bert.inputs());
    const dir = tmp();
    await peft.savePretrained(dir);
    const header = await readSafetensorsHeader(join(dir, 'adapter_model.safetensors'));
    expect([...header.tensors.keys()]).toContain('base_model.model.classifier.weight');
    const loaded = await PeftModel.fromPretrained(await bert.load(), dir, quiet);
    expect(logits(loaded, bert.inputs())).toEqual(before);
    // The original head is still there, untouched, for disableAdapter.
    const base = logits(await bert.load(), bert.inputs());
    expect(loaded.disableAdapter(() => logits(loaded, bert.inputs()))).toEqual(base);
  });
});

describe('PEFT file format', () => {
  it('writes adapter_config.json with PEFT fields and PEFT key names', async () => {
    const peft = getPeftModel(
      await gpt2.load(),
      { peft_type: 'LORA', r: 4, lora_alpha: 32, lora_dropout: 0.05, task_type: 'CAUSAL_LM' },
      quiet,
    );
    const dir = tmp();
    await peft.savePretrained(dir);
    const text = readFileSync(join(dir, 'adapter_config.json'), 'utf8');
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual(Object.keys(json).sort());
    expect(json).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 32,
      lora_dropout: 0.05,
      target_modules: ['c_attn'],
      fan_in_fan_out: true,
      bias: 'none',
      use_rslora: false,
      inference_mode: true,
      base_model_name_or_path: null,
      revision: null,
      modules_to_save: null,
      init_lora_weights: true,
      use_dora: false,
    });
    const header = await readSafetensorsHeader(join(dir, 'adapter_model.safetensors'));
    expect([...header.tensors.keys()].sort()).toEqual([
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.1.attn.c_attn.lora_B.weight',
    ]);
    expect(
      header.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight')!.shape,
    ).toEqual([4, 32]);
    expect(
      header.tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape,
    ).toEqual([96, 4]);
    expect(header.metadata).toEqual({ format: 'pt' });
  });

  it('loads keys from newer PEFT versions with a warning and writes them back', async () => {
    const peft = getPeftModel(await llama.load(), { peft_type: 'LORA', r: 2 }, quiet);
    const dir = tmp();
    await peft.savePretrained(dir);
    const path = join(dir, 'adapter_config.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      path,
      JSON.stringify({ ...json, some_future_option: { a: 1 }, peft_version: '0.99.0' }),
    );
    const w = collectWarnings();
    const loaded = await PeftModel.fromPretrained(await llama.load(), dir, {
      onWarning: w.onWarning,
    });
    expect(w.list).toHaveLength(1);
    expect(w.list[0]).toMatch(/some_future_option/);
    const again = tmp();
    await loaded.savePretrained(again);
    expect(JSON.parse(readFileSync(join(again, 'adapter_config.json'), 'utf8'))).toMatchObject({
      some_future_option: { a: 1 },
      peft_version: '0.99.0',
    });
  });

  it('rejects invalid values with a ConfigError naming the field', async () => {
    const model = await llama.load();
    expect(() => getPeftModel(model, { peft_type: 'LORA', r: 0 }, quiet)).toThrow(ConfigError);
    expect(() => getPeftModel(model, { peft_type: 'LORA', r: 0 }, quiet)).toThrow(/field 'r'/);
    expect(() => getPeftModel(model, { peft_type: 'LORA', bias: 'some' }, quiet)).toThrow(
      /field 'bias'/,
    );
    expect(() => getPeftModel(model, { peft_type: 'LORA', use_dora: true }, quiet)).toThrow(/DoRA/);
    expect(() =>
      getPeftModel(model, JSON.parse('{"peft_type":"LORA","__proto__":{"r":1}}'), quiet),
    ).toThrow(/not allowed/);
    expect(() => getPeftModel(model, { peft_type: 'NOPE' }, quiet)).toThrow(/unknown peft_type/);
  });

  it('reads a directory laid out as PEFT writes it', async () => {
    // The file PEFT would write for a LoRA on model.layers.0.self_attn.q_proj, r = 1, alpha = 2.
    const dir = tmp();
    const { writeFileSync } = await import('node:fs');
    const { saveSafetensors } = await import('../../src/core/index.js');
    const a = Float32Array.from({ length: 32 }, (_, i) => (i % 5) / 10);
    const b = Float32Array.from({ length: 32 }, (_, i) => ((i % 3) - 1) / 10);
    await saveSafetensors(join(dir, 'adapter_model.safetensors'), {
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight': {
        dtype: 'F32',
        shape: [1, 32],
        data: a,
      },
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight': {
        dtype: 'F32',
        shape: [32, 1],
        data: b,
      },
    });
    writeFileSync(
      join(dir, 'adapter_config.json'),
      JSON.stringify({
        peft_type: 'LORA',
        r: 1,
        lora_alpha: 2,
        target_modules: ['q_proj'],
        layers_to_transform: [0],
        inference_mode: true,
        task_type: 'CAUSAL_LM',
      }),
    );
    const peft = await PeftModel.fromPretrained(await llama.load(), dir, quiet);
    const layer = peft.getBaseModel().getSubmodule('model.layers.0.self_attn.q_proj') as LoraLayer;
    const delta = layer.deltaWeight('default').data;
    expect(delta[3 * 32 + 4]).toBeCloseTo(2 * b[3] * a[4], 7);
    expect(loraLayers(peft)).toHaveLength(1);
  });

  it('fails loading with a typed error when tensors are missing or misshapen', async () => {
    const peft = getPeftModel(await gpt2.load(), { peft_type: 'LORA', r: 4 }, quiet);
    const dir = tmp();
    await peft.savePretrained(dir);
    const { writeFileSync } = await import('node:fs');
    const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...json, r: 8 }));
    await expect(PeftModel.fromPretrained(await gpt2.load(), dir, quiet)).rejects.toThrow(/shape/);
  });
});

describe('mergeAndUnload', () => {
  it('returns the plain model whose outputs equal the adapted ones', async () => {
    const peft = getPeftModel(
      await llama.load(),
      { peft_type: 'LORA', r: 4, target_modules: ['q_proj', 'v_proj', 'down_proj'] },
      quiet,
    );
    perturb(peft, 11);
    const adapted = logits(peft, llama.inputs());
    const model = peft.mergeAndUnload({ safeMerge: true });
    expect(model.getSubmodule('model.layers.0.mlp.down_proj')).toBeInstanceOf(Linear);
    expect(maxAbsDiff(logits(model, llama.inputs()), adapted)).toBeLessThan(1e-5);
    expect(model.numParameters()).toBe((await llama.load()).numParameters());
  });

  it('generate runs through the adapters', async () => {
    const peft = getPeftModel(await gpt2.load(), { peft_type: 'LORA', r: 4 }, quiet);
    perturb(peft, 2);
    const a = peft.generate([[5, 17, 42]], { maxNewTokens: 4, useCache: true, eosTokenId: null });
    const b = peft.generate([[5, 17, 42]], { maxNewTokens: 4, useCache: false, eosTokenId: null });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const model = peft.mergeAndUnload();
    const { generate } = await import('../../src/models/index.js');
    expect(
      Array.from(
        generate(model as never, [[5, 17, 42]], { maxNewTokens: 4, eosTokenId: null }).data,
      ),
    ).toEqual(Array.from(a.data));
  });
});
