import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  add,
  ConfigError,
  Generator,
  noGrad,
  readSafetensorsHeader,
  slice,
  Tensor,
} from '../../src/core/index.js';
import { gradcheck } from '../../src/core/testing/gradcheck.js';
import type { GPT2LMHeadModel, LlamaForCausalLM } from '../../src/models/index.js';
import {
  bottleneckConfigSchema,
  getPeftModel,
  InvertibleAdapters,
  NICECouplingBlock,
  PeftModel,
  pfeifferConfig,
  pfeifferInvConfig,
  type BottleneckConfig,
} from '../../src/peft/index.js';
import { FAMILIES, logits, maxAbsDiff, perturb, snapshot, tempDirs } from './helpers.js';

const quiet = { onWarning: () => undefined };
const [gpt2, llama] = ['gpt2', 'llama'].map((n) => FAMILIES.find((f) => f.name === n)!);
const tmp = tempDirs();

const config = (over: Record<string, unknown> = {}): BottleneckConfig =>
  bottleneckConfigSchema.parse({ ...pfeifferInvConfig(), ...over }) as BottleneckConfig;

/** A float64 coupling block with weights well away from their small init. */
function block(hidden: number, nl: 'relu' | 'tanh' = 'tanh', rf = 2): NICECouplingBlock {
  const b = new NICECouplingBlock(
    hidden,
    config({ non_linearity: nl, inv_adapter_reduction_factor: rf }),
    new Generator(1),
    'float64',
  );
  const rng = new Generator(2);
  for (const p of b.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = rng.normal(0, 0.7);
  return b;
}

const input = (shape: number[], seed: number, grad = false): Tensor => {
  const rng = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(
    Float64Array.from({ length: n }, () => rng.normal()),
    shape,
  );
  return grad ? t.requiresGrad_(true) : t;
};

describe('NICE coupling block (MAD-X invertible adapter)', () => {
  it('inverse(forward(x)) and forward(inverse(x)) give x back, odd widths included', () => {
    for (const hidden of [8, 7]) {
      const b = block(hidden);
      const x = input([2, 3, hidden], hidden);
      const y = noGrad(() => b.forward(x));
      expect(maxAbsDiff(y.data, x.data)).toBeGreaterThan(0.1);
      expect(maxAbsDiff(noGrad(() => b.forward(y, true)).data, x.data)).toBeLessThan(1e-12);
      const z = noGrad(() => b.forward(x, true));
      expect(maxAbsDiff(noGrad(() => b.forward(z)).data, x.data)).toBeLessThan(1e-12);
    }
  });

  it("has AdapterHub's NICECouplingBlock layout: F maps x2 to x1's width, G y1 to x2's", () => {
    const b = new NICECouplingBlock(
      9,
      config({ inv_adapter_reduction_factor: 2 }),
      new Generator(0),
    );
    const shapes = Object.fromEntries(b.namedParameters().map(([n, p]) => [n, p.shape]));
    // Odd width: the subnet widths follow each subnet's input (F: 4 // 2, G: 3 // 2).
    const odd = new NICECouplingBlock(7, config(), new Generator(0));
    expect(odd.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'F.0.weight:2x4',
      'F.0.bias:2',
      'F.2.weight:3x2',
      'F.2.bias:3',
      'G.0.weight:1x3',
      'G.0.bias:1',
      'G.2.weight:4x1',
      'G.2.bias:4',
    ]);
    expect(shapes).toEqual({
      'F.0.weight': [2, 5],
      'F.0.bias': [2],
      'F.2.weight': [4, 2],
      'F.2.bias': [4],
      'G.0.weight': [2, 4],
      'G.0.bias': [2],
      'G.2.weight': [5, 2],
      'G.2.bias': [5],
    });
  });

  it('gradcheck in float64: forward and inverse, w.r.t. the input and every weight', () => {
    for (const rev of [false, true]) {
      const b = block(6);
      const params = b.parameters();
      for (const p of params) p.requiresGrad_(true);
      const x = input([2, 2, 6], 5, true);
      const r = gradcheck((xi) => b.forward(xi, rev), [x, ...params]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });
});

describe('invertible adapters in a PEFT model', () => {
  async function withInv(): Promise<PeftModel> {
    const peft = getPeftModel(await gpt2.load(), pfeifferInvConfig(), {
      ...quiet,
      adapterName: 'lang',
    });
    peft.addAdapter('task', pfeifferConfig());
    for (const [name, seed] of [
      ['lang', 3],
      ['task', 4],
    ] as const) {
      peft.setAdapter(name);
      perturb(peft, seed, 0.3);
    }
    return peft;
  }

  it('maps the embeddings after dropout and undoes the map before the tied lm_head', async () => {
    const peft = await withInv();
    peft.setAdapterStack(['lang', 'task']);
    const lm = peft.getBaseModel() as GPT2LMHeadModel;
    const t = lm.transformer;
    const inv = t.invertible_adapters as InvertibleAdapters;
    const ids = gpt2.inputs().inputIds!;
    const T = ids.shape[1];
    const want = noGrad(() => {
      let h = inv.get('lang').forward(add(t.wte.forward(ids), slice(t.wpe.weight, 0, 0, T)));
      for (const b of t.h) h = b.forward(h).hidden;
      return lm.lm_head.forward(inv.get('lang').forward(t.ln_f.forward(h), true));
    });
    const got = logits(peft, { inputIds: ids });
    expect(maxAbsDiff(got, want.data)).toBeLessThan(1e-5);
    // Only the first adapter of a stack brings its coupling (AdapterHub): 'task' has none.
    peft.setAdapterStack(['task', 'lang']);
    const langLast = logits(peft, { inputIds: ids });
    inv.delete('lang');
    expect(logits(peft, { inputIds: ids })).toEqual(langLast);
  });

  it('disableAdapter restores the base outputs exactly, the coupling included', async () => {
    const base = logits(await gpt2.load(), gpt2.inputs());
    const peft = await withInv();
    peft.setAdapter('lang');
    expect(maxAbsDiff(logits(peft, gpt2.inputs()), base)).toBeGreaterThan(1e-4);
    expect(peft.disableAdapter(() => logits(peft, gpt2.inputs()))).toEqual(base);
    // Deleting the adapter removes its coupling: 'task' alone has none.
    peft.setAdapter('task');
    const taskOnly = logits(peft, gpt2.inputs());
    peft.deleteAdapter('lang');
    expect(logits(peft, gpt2.inputs())).toEqual(taskOnly);
  });

  it('the language adapter trains its coupling; a stacked task adapter leaves it alone', async () => {
    const peft = await withInv();
    peft.setAdapter('lang');
    const lang = peft
      .namedParameters()
      .filter(([, p]) => p.requiresGrad)
      .map(([n]) => n);
    expect(lang).toContain('base_model.model.transformer.invertible_adapters.lang.F.0.weight');
    expect(lang).toContain('base_model.model.transformer.invertible_adapters.lang.G.2.bias');
    peft.setAdapterStack(['lang', 'task']);
    for (const [n, p] of peft.namedParameters())
      expect(p.requiresGrad, n).toBe(n.includes('adapters.task.'));
  });

  it("saves in AdapterHub's key names and config fields, and loads back exactly", async () => {
    const peft = await withInv();
    peft.setAdapterStack(['lang', 'task']);
    const before = logits(peft, gpt2.inputs());
    const dir = tmp();
    await peft.savePretrained(dir);
    const json = JSON.parse(readFileSync(join(dir, 'lang', 'adapter_config.json'), 'utf8'));
    expect(json.config).toMatchObject({ inv_adapter: 'nice', inv_adapter_reduction_factor: 2 });
    const keys = [
      ...(await readSafetensorsHeader(join(dir, 'lang', 'adapter.safetensors'))).tensors.keys(),
    ];
    expect(keys).toContain('transformer.invertible_adapters.lang.F.0.weight');
    expect(keys.filter((k) => k.includes('invertible')).length).toBe(8);
    const loaded = await PeftModel.fromPretrained(await gpt2.load(), join(dir, 'lang'), {
      ...quiet,
      adapterName: 'lang',
    });
    await loaded.loadAdapter(join(dir, 'task'), 'task');
    loaded.setAdapterStack(['lang', 'task']);
    expect(logits(loaded, gpt2.inputs())).toEqual(before);
    // Loaded under another name, the coupling follows the name.
    const renamed = await PeftModel.fromPretrained(await gpt2.load(), join(dir, 'lang'), {
      ...quiet,
      adapterName: 'en',
    });
    const saved = snapshot(loaded.namedParameters());
    const inv = (renamed.getBaseModel() as GPT2LMHeadModel).transformer
      .invertible_adapters as InvertibleAdapters;
    expect((inv.get('en') as NICECouplingBlock).F.get(0)).toBeDefined();
    expect(saved.get('base_model.model.transformer.invertible_adapters.lang.G.0.weight')).toEqual(
      renamed
        .namedParameters()
        .find(([n]) => n === 'base_model.model.transformer.invertible_adapters.en.G.0.weight')![1]
        .data,
    );
  });

  it("Llama: the coupling maps embed_tokens' output and is undone before lm_head", async () => {
    const peft = getPeftModel(await llama.load(), pfeifferInvConfig(), quiet);
    perturb(peft, 5, 0.3);
    // Bottleneck adapters at zero (identity), so only the coupling changes the model.
    for (const [n, p] of peft.namedParameters()) if (n.includes('adapter_up')) p.data.fill(0);
    const ids = llama.inputs().inputIds!;
    const base = (await llama.load()) as LlamaForCausalLM;
    const inv = (peft.getBaseModel() as LlamaForCausalLM).model
      .invertible_adapters as InvertibleAdapters;
    expect(inv.keys()).toEqual(['default']);
    const want = noGrad(() => {
      const h = inv.forward(base.model.embed_tokens.forward(ids));
      const last = base.model.forward({ inputsEmbeds: h }).lastHiddenState;
      return base.lm_head.forward(inv.forward(last, true));
    });
    const got = logits(peft, { inputIds: ids });
    expect(maxAbsDiff(got, want.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got, logits(base, { inputIds: ids }))).toBeGreaterThan(1e-4);
    const dir = tmp();
    await peft.savePretrained(dir);
    const keys = [
      ...(await readSafetensorsHeader(join(dir, 'adapter.safetensors'))).tensors.keys(),
    ];
    expect(keys).toContain('model.invertible_adapters.default.G.2.weight');
    const loaded = await PeftModel.fromPretrained(await llama.load(), dir, quiet);
    expect(logits(loaded, { inputIds: ids })).toEqual(got);
  });

  it('refuses an unknown coupling and a missing reduction factor with typed errors', async () => {
    const m = await gpt2.load();
    expect(() =>
      getPeftModel(m, pfeifferInvConfig({ inv_adapter: 'real_nvp' as never }), quiet),
    ).toThrow(/inv_adapter must be 'nice', 'glow' or null/);
    expect(() =>
      getPeftModel(m, pfeifferInvConfig({ inv_adapter_reduction_factor: null }), quiet),
    ).toThrow(ConfigError);
    expect(() =>
      getPeftModel(m, pfeifferInvConfig({ inv_adapter_reduction_factor: null }), quiet),
    ).toThrow(/inv_adapter_reduction_factor/);
  });
});
