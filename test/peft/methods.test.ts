import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, noGrad, readSafetensorsHeader, Tensor } from '../../src/core/index.js';
import { GPT2LMHeadModel } from '../../src/models/index.js';
import {
  BottleneckDict,
  getPeftModel,
  houlsbyConfig,
  IA3Layer,
  inputEmbeddings,
  PeftModel,
  pfeifferConfig,
  PrefixEncoder,
  PrefixTuningTuner,
  PromptEmbedding,
  textInitIds,
  type PrefixTuningConfig,
} from '../../src/peft/index.js';
import { FAMILIES, logits, maxAbsDiff, perturb, tempDirs } from './helpers.js';

const tmp = tempDirs();
const [gpt2, bert, llama] = FAMILIES;
const quiet = { onWarning: () => undefined };

describe('IA3', () => {
  it('scales key/value outputs and feed-forward inputs by learned vectors (ones at init)', async () => {
    const base = logits(await gpt2.load(), gpt2.inputs());
    const peft = getPeftModel(await gpt2.load(), { peft_type: 'IA3' }, quiet);
    expect(logits(peft, gpt2.inputs())).toEqual(base);
    const model = peft.getBaseModel();
    const attn = model.getSubmodule('transformer.h.0.attn.c_attn') as IA3Layer;
    const ff = model.getSubmodule('transformer.h.0.mlp.c_proj') as IA3Layer;
    expect([attn.isFeedforward, ff.isFeedforward]).toEqual([false, true]);
    expect(attn.ia3_l.get('default').shape).toEqual([96, 1]);
    expect(ff.ia3_l.get('default').shape).toEqual([1, 128]);
    perturb(peft, 3);
    const x = new Tensor(
      Float32Array.from({ length: 3 * 32 }, (_, i) => Math.cos(i)),
      [3, 32],
    );
    const la = attn.ia3_l.get('default').data;
    const ya = noGrad(() => attn.forward(x)).data;
    const ba = noGrad(() => attn.base_layer.forward(x)).data;
    expect(
      maxAbsDiff(
        ya,
        Array.from(ba, (v, i) => v * la[i % 96]),
      ),
    ).toBeLessThan(1e-6);
    const x2 = new Tensor(
      Float32Array.from({ length: 2 * 128 }, (_, i) => Math.sin(i)),
      [2, 128],
    );
    const lf = ff.ia3_l.get('default').data;
    const scaled = new Tensor(
      Float32Array.from(x2.data, (v, i) => v * lf[i % 128]),
      [2, 128],
    );
    expect(
      maxAbsDiff(
        noGrad(() => ff.forward(x2)).data,
        noGrad(() => ff.base_layer.forward(scaled)).data,
      ),
    ).toBeLessThan(1e-6);
  });

  it('saves ia3_l vectors under PEFT names; feedforward_modules must be among targets', async () => {
    const peft = getPeftModel(await llama.load(), { peft_type: 'IA3' }, quiet);
    const dir = tmp();
    await peft.savePretrained(dir);
    const keys = [
      ...(await readSafetensorsHeader(join(dir, 'adapter_model.safetensors'))).tensors.keys(),
    ];
    expect(keys).toContain('base_model.model.model.layers.0.self_attn.k_proj.ia3_l');
    expect(keys).toContain('base_model.model.model.layers.1.mlp.down_proj.ia3_l');
    const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(json).toMatchObject({
      peft_type: 'IA3',
      feedforward_modules: ['down_proj'],
      init_ia3_weights: true,
    });
    expect(() =>
      getPeftModel(
        peft.getBaseModel(),
        { peft_type: 'IA3', target_modules: ['k_proj'], feedforward_modules: ['down_proj'] },
        quiet,
      ),
    ).toThrow(ConfigError);
  });
});

describe('prompt tuning', () => {
  const tokenizer = {
    encode: (text: string) => ({ ids: Array.from(text, (ch) => ch.charCodeAt(0) % 50) }),
  };

  it('TEXT init: token ids repeated or cut to num_virtual_tokens, rows of the word embeddings', async () => {
    expect(textInitIds(tokenizer, 'ab', 5)).toEqual([47, 48, 47, 48, 47]);
    expect(textInitIds(tokenizer, 'abcdef', 3)).toEqual([47, 48, 49]);
    const peft = getPeftModel(
      await gpt2.load(),
      {
        peft_type: 'PROMPT_TUNING',
        num_virtual_tokens: 5,
        prompt_tuning_init: 'TEXT',
        prompt_tuning_init_text: 'ab',
      },
      { ...quiet, tokenizer },
    );
    const words = inputEmbeddings(peft.getBaseModel()).weight.data;
    const prompt = (peft.prompt_encoder as unknown as { get(n: string): PromptEmbedding }).get(
      'default',
    ).embedding.weight.data;
    const row = (d: ArrayLike<number>, i: number) => Array.from(d).slice(i * 32, (i + 1) * 32);
    [47, 48, 47, 48, 47].forEach((id, i) => expect(row(prompt, i)).toEqual(row(words, id)));
    await expect(async () =>
      getPeftModel(
        await gpt2.load(),
        {
          peft_type: 'PROMPT_TUNING',
          num_virtual_tokens: 2,
          prompt_tuning_init: 'TEXT',
          prompt_tuning_init_text: 'x',
        },
        quiet,
      ),
    ).rejects.toThrow(/tokenizer/);
    await expect(async () =>
      getPeftModel(
        await gpt2.load(),
        { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 2, prompt_tuning_init: 'TEXT' },
        quiet,
      ),
    ).rejects.toThrow(/prompt_tuning_init_text/);
  });

  it('SAMPLE_VOCAB init copies vocabulary rows; RANDOM is N(0, 1)', async () => {
    const peft = getPeftModel(
      await llama.load(),
      { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 4, prompt_tuning_init: 'SAMPLE_VOCAB' },
      quiet,
    );
    const words = inputEmbeddings(peft.getBaseModel());
    const prompt = (peft.prompt_encoder as unknown as { get(n: string): PromptEmbedding }).get(
      'default',
    ).embedding.weight.data;
    for (let i = 0; i < 4; i++) {
      const r = Array.from(prompt.slice(i * 32, (i + 1) * 32)).join();
      const found = Array.from({ length: 100 }, (_, id) =>
        Array.from(words.weight.data.slice(id * 32, (id + 1) * 32)).join(),
      );
      expect(found).toContain(r);
    }
    const random = getPeftModel(
      await llama.load(),
      { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 20 },
      quiet,
    );
    const d = (random.prompt_encoder as unknown as { get(n: string): PromptEmbedding }).get(
      'default',
    ).embedding.weight.data;
    const std = Math.sqrt(Array.from(d).reduce((s, v) => s + v * v, 0) / d.length);
    expect(std).toBeGreaterThan(0.85);
    expect(std).toBeLessThan(1.15);
  });

  it('prepends the prompts, extends the mask and labels (-100) inside forward', async () => {
    const peft = getPeftModel(
      await gpt2.load(),
      { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 3 },
      quiet,
    );
    const inputs = gpt2.inputs();
    const out = noGrad(() => peft.forward(inputs));
    expect(out.logits.shape).toEqual([2, 8, 100]);
    // The same computation by hand on the base model.
    const model = peft.getBaseModel() as GPT2LMHeadModel;
    const prompt = (peft.prompt_encoder as unknown as { get(n: string): PromptEmbedding }).get(
      'default',
    ).embedding.weight;
    const words = noGrad(() => model.transformer.wte.forward(inputs.inputIds!));
    const embeds = new Float32Array(2 * 8 * 32);
    for (let b = 0; b < 2; b++) {
      embeds.set(prompt.data, b * 8 * 32);
      embeds.set(words.data.subarray(b * 5 * 32, (b + 1) * 5 * 32), b * 8 * 32 + 3 * 32);
    }
    const mask = new Tensor(
      Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),
      [2, 8],
    );
    const labels = new Tensor(
      Int32Array.from([
        -100,
        -100,
        -100,
        ...Array.from(inputs.labels!.data).slice(0, 5),
        -100,
        -100,
        -100,
        ...Array.from(inputs.labels!.data).slice(5),
      ]),
      [2, 8],
    );
    const manual = noGrad(() =>
      model.forward({ inputsEmbeds: new Tensor(embeds, [2, 8, 32]), attentionMask: mask, labels }),
    );
    expect(Array.from(out.logits.data)).toEqual(Array.from(manual.logits.data));
    expect(out.loss!.item()).toBe(manual.loss!.item());
  });

  it('saves prompt_embeddings as PEFT does and generates through the prompt', async () => {
    const peft = getPeftModel(
      await gpt2.load(),
      { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 3, task_type: 'CAUSAL_LM' },
      quiet,
    );
    const dir = tmp();
    await peft.savePretrained(dir);
    const header = await readSafetensorsHeader(join(dir, 'adapter_model.safetensors'));
    expect([...header.tensors.entries()].map(([k, v]) => [k, v.shape])).toEqual([
      ['prompt_embeddings', [3, 32]],
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toMatchObject({
      peft_type: 'PROMPT_TUNING',
      num_virtual_tokens: 3,
      token_dim: 32,
      num_layers: 2,
      num_attention_heads: 4,
      num_transformer_submodules: 1,
      prompt_tuning_init: 'RANDOM',
    });
    const cached = peft.generate([[5, 17, 42]], {
      maxNewTokens: 3,
      useCache: true,
      eosTokenId: null,
    });
    const full = peft.generate([[5, 17, 42]], {
      maxNewTokens: 3,
      useCache: false,
      eosTokenId: null,
    });
    expect(Array.from(cached.data)).toEqual(Array.from(full.data));
  });

  it('extends token type ids with zeros (BERT)', async () => {
    const peft = getPeftModel(
      await bert.load(),
      { peft_type: 'PROMPT_TUNING', num_virtual_tokens: 2 },
      quiet,
    );
    const inputs = { ...bert.inputs(), tokenTypeIds: new Tensor(new Int32Array(10), [2, 5]) };
    expect(noGrad(() => peft.forward(inputs)).logits.shape).toEqual([2, 3]);
  });
});

describe('prefix tuning', () => {
  it('has PEFT PrefixEncoder shapes with and without the projection MLP', async () => {
    const proj = getPeftModel(
      await gpt2.load(),
      {
        peft_type: 'PREFIX_TUNING',
        num_virtual_tokens: 4,
        prefix_projection: true,
        encoder_hidden_size: 24,
      },
      quiet,
    );
    const enc = (proj.prompt_encoder as unknown as { get(n: string): PrefixEncoder }).get(
      'default',
    );
    expect(proj.prompt_encoder!.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['default.embedding.weight', [4, 32]],
      ['default.transform.0.weight', [24, 32]],
      ['default.transform.0.bias', [24]],
      ['default.transform.2.weight', [2 * 2 * 32, 24]],
      ['default.transform.2.bias', [2 * 2 * 32]],
    ]);
    expect(enc.forward().shape).toEqual([4, 128]);
    const plain = getPeftModel(
      await gpt2.load(),
      { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 4 },
      quiet,
    );
    expect(plain.prompt_encoder!.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['default.embedding.weight', [4, 128]],
    ]);
  });

  it('stores kv heads only for grouped-query attention (Llama), as PEFT', async () => {
    const peft = getPeftModel(
      await llama.load(),
      { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 4 },
      quiet,
    );
    const c = peft.peftConfig.default as PrefixTuningConfig;
    expect([c.token_dim, c.num_attention_heads, c.num_layers, c.encoder_hidden_size]).toEqual([
      16, 2, 2, 16,
    ]);
    const prefixes = (peft.tuner as PrefixTuningTuner).prefixes('default', 3);
    expect(prefixes.map((p) => [p.key.shape, p.value.shape])).toEqual([
      [
        [3, 2, 4, 8],
        [3, 2, 4, 8],
      ],
      [
        [3, 2, 4, 8],
        [3, 2, 4, 8],
      ],
    ]);
  });

  it("is the model's past key/values: layer l takes rows 2l (keys) and 2l+1 (values)", async () => {
    const peft = getPeftModel(
      await gpt2.load(),
      { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 2 },
      quiet,
    );
    const flat = (peft.prompt_encoder as unknown as { get(n: string): PrefixEncoder }).get(
      'default',
    ).embedding.weight;
    const p = (peft.tuner as PrefixTuningTuner).prefixes('default', 1);
    // token 1, layer 1, value, head 2, dim 5 = flat[1, ((1*2 + 1) * 4 + 2) * 8 + 5]
    expect(p[1].value.data[(2 * 2 + 1) * 8 + 5]).toBe(
      flat.data[128 + ((1 * 2 + 1) * 4 + 2) * 8 + 5],
    );
    const inputs = gpt2.inputs();
    const viaPeft = logits(peft, inputs);
    const model = peft.getBaseModel();
    const mask = new Tensor(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), [2, 7]);
    const manual = logits(model as never, {
      ...inputs,
      attentionMask: mask,
      pastKeyValues: (peft.tuner as PrefixTuningTuner).prefixes('default', 2),
    });
    expect(viaPeft).toEqual(manual);
  });

  it('round-trips the projected prefixes (PEFT stores the MLP output)', async () => {
    const peft = getPeftModel(
      await bert.load(),
      { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 3, prefix_projection: true },
      quiet,
    );
    perturb(peft, 8);
    const before = logits(peft, bert.inputs());
    const dir = tmp();
    await peft.savePretrained(dir);
    const header = await readSafetensorsHeader(join(dir, 'adapter_model.safetensors'));
    expect(header.tensors.get('prompt_embeddings')!.shape).toEqual([3, 2 * 2 * 32]);
    const loaded = await PeftModel.fromPretrained(await bert.load(), dir, quiet);
    expect(maxAbsDiff(logits(loaded, bert.inputs()), before)).toBeLessThan(1e-6);
  });

  it('generates with the prefix in the cache', async () => {
    const peft = getPeftModel(
      await llama.load(),
      { peft_type: 'PREFIX_TUNING', num_virtual_tokens: 2 },
      quiet,
    );
    perturb(peft, 1);
    const cached = peft.generate([[5, 17, 42]], {
      maxNewTokens: 3,
      useCache: true,
      eosTokenId: null,
    });
    const full = peft.generate([[5, 17, 42]], {
      maxNewTokens: 3,
      useCache: false,
      eosTokenId: null,
    });
    expect(Array.from(cached.data)).toEqual(Array.from(full.data));
  });
});

describe('bottleneck adapters', () => {
  it('mam_adapter init is exactly the base model; houlsby init is within ~1e-3 (relative)', async () => {
    for (const family of FAMILIES) {
      const base = logits(await family.load(), family.inputs());
      const exact = getPeftModel(
        await family.load(),
        houlsbyConfig({ init_weights: 'mam_adapter' }),
        quiet,
      );
      expect(logits(exact, family.inputs())).toEqual(base);
      const near = getPeftModel(
        await family.load(),
        pfeifferConfig({ init_weights: 'houlsby' }),
        quiet,
      );
      // Relative to the logits' scale (up to ~4 for these models).
      const d =
        maxAbsDiff(logits(near, family.inputs()), base) / Math.max(...Array.from(base, Math.abs));
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThan(1e-3);
    }
  });

  it('computes Houlsby h + A(h) and Pfeiffer h + A(norm(h + x)) at a residual site', async () => {
    const peft = getPeftModel(await bert.load(), houlsbyConfig({ non_linearity: 'relu' }), quiet);
    perturb(peft, 2, 0.5);
    const out = peft.getBaseModel().getSubmodule('bert.encoder.layer.0.output') as unknown as {
      adapters: BottleneckDict;
      LayerNorm: { forward(t: Tensor): Tensor };
    };
    const a = out.adapters.get('default');
    const h = new Tensor(
      Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)),
      [2, 32],
    );
    const x = new Tensor(
      Float32Array.from({ length: 64 }, (_, i) => Math.cos(i)),
      [2, 32],
    );
    const manualA = (t: Tensor) => {
      const down = a.adapter_down.get(0) as unknown as { forward(t: Tensor): Tensor };
      const up = a.adapter_up;
      return noGrad(() => up.forward(down.forward(t).relu()));
    };
    const add = (p: Tensor, q: Tensor) =>
      new Tensor(
        Float32Array.from(p.data, (v, i) => v + q.data[i]),
        p.shape,
      );
    const houlsby = noGrad(() => out.adapters.forward(h, x, out.LayerNorm as never));
    const want = noGrad(() => out.LayerNorm.forward(add(add(h, manualA(h)), x)));
    expect(maxAbsDiff(houlsby.data, want.data)).toBeLessThan(1e-5);
    const pf = getPeftModel(await bert.load(), pfeifferConfig(), quiet);
    perturb(pf, 2, 0.5);
    const o2 = pf
      .getBaseModel()
      .getSubmodule('bert.encoder.layer.0.output') as unknown as typeof out;
    const a2 = o2.adapters.get('default');
    const ln = o2.LayerNorm;
    const inner = noGrad(() => ln.forward(add(h, x)));
    const down2 = a2.adapter_down.get(0) as unknown as { forward(t: Tensor): Tensor };
    const A2 = noGrad(() => a2.adapter_up.forward(down2.forward(inner).relu()));
    const want2 = noGrad(() => ln.forward(add(add(h, A2), x)));
    expect(
      maxAbsDiff(noGrad(() => o2.adapters.forward(h, x, ln as never)).data, want2.data),
    ).toBeLessThan(1e-5);
  });

  it('honours reduction_factor (per layer), leave_out and the site placement', async () => {
    const peft = getPeftModel(
      await gpt2.load(),
      pfeifferConfig({ reduction_factor: { '0': 4, default: 16 }, leave_out: [] }),
      quiet,
    );
    const shapes = peft
      .getBaseModel()
      .namedParameters()
      .filter(([n]) => n.includes('adapter_down.0.weight'))
      .map(([n, p]) => [n, p.shape]);
    expect(shapes).toEqual([
      ['transformer.h.0.output_adapters.adapters.default.adapter_down.0.weight', [8, 32]],
      ['transformer.h.1.output_adapters.adapters.default.adapter_down.0.weight', [2, 32]],
    ]);
    const left = getPeftModel(await llama.load(), houlsbyConfig({ leave_out: [0] }), quiet);
    expect(
      left
        .getBaseModel()
        .namedParameters()
        .filter(([n]) => n.includes('adapter_up.weight'))
        .map(([n]) => n),
    ).toEqual([
      'model.layers.1.attention_adapters.adapters.default.adapter_up.weight',
      'model.layers.1.output_adapters.adapters.default.adapter_up.weight',
    ]);
    expect(() =>
      getPeftModel(
        new GPT2LMHeadModel(
          { n_layer: 1, n_embd: 8, n_head: 2, vocab_size: 10, n_positions: 8 },
          { skipInit: true },
        ),
        { peft_type: 'BOTTLENECK', ln_after: true },
        quiet,
      ),
    ).toThrow(/ln_after/);
  });

  it("writes AdapterHub's layout and loads it under another name and without the base prefix", async () => {
    const peft = getPeftModel(await bert.load(), houlsbyConfig(), { ...quiet, adapterName: 'sst' });
    perturb(peft, 6);
    const before = logits(peft, bert.inputs());
    const dir = tmp();
    await peft.savePretrained(join(dir, 'x'), { selectedAdapters: ['sst'] });
    const out = join(dir, 'x', 'sst');
    const json = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(json).toMatchObject({
      name: 'sst',
      model_type: 'bert',
      model_class: 'BertForSequenceClassification',
      hidden_size: 32,
      config: {
        mh_adapter: true,
        output_adapter: true,
        non_linearity: 'swish',
        reduction_factor: 16,
        original_ln_before: false,
        init_weights: 'bert',
      },
    });
    const header = await readSafetensorsHeader(join(out, 'adapter.safetensors'));
    expect([...header.tensors.keys()]).toContain(
      'bert.encoder.layer.0.attention.output.adapters.sst.adapter_down.0.weight',
    );
    expect([...header.tensors.keys()]).toContain(
      'bert.encoder.layer.1.output.adapters.sst.adapter_up.bias',
    );
    const loaded = await PeftModel.fromPretrained(await bert.load(), out, {
      ...quiet,
      adapterName: 'renamed',
    });
    expect(logits(loaded, bert.inputs())).toEqual(before);
    // Keys saved from a BertModel (no 'bert.' prefix) load too, as in AdapterHub.
    const { saveSafetensors, loadSafetensors } = await import('../../src/core/index.js');
    const file = await loadSafetensors(join(out, 'adapter.safetensors'));
    const stripped: Record<string, { dtype: 'F32'; shape: number[]; data: Uint8Array }> = {};
    for (const [k, e] of file.tensors)
      stripped[k.replace(/^bert\./, '')] = {
        dtype: 'F32',
        shape: [...e.shape],
        data: e.data.slice(),
      };
    await saveSafetensors(join(out, 'adapter.safetensors'), stripped);
    const again = await PeftModel.fromPretrained(await bert.load(), out, quiet);
    expect(logits(again, bert.inputs())).toEqual(before);
  });

  it('cannot be merged', async () => {
    const peft = getPeftModel(await gpt2.load(), pfeifferConfig(), quiet);
    expect(() => peft.merge()).toThrow(/cannot be merged/);
  });
});
