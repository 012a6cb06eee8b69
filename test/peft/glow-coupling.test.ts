import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  add,
  Generator,
  noGrad,
  readSafetensorsHeader,
  slice,
  Tensor,
} from '../../src/core/index.js';
import { gradcheck } from '../../src/core/testing/gradcheck.js';
import type { GPT2LMHeadModel } from '../../src/models/index.js';
import {
  bottleneckConfigSchema,
  getPeftModel,
  GLOWCouplingBlock,
  InvertibleAdapters,
  PeftModel,
  pfeifferInvConfig,
  type BottleneckConfig,
} from '../../src/peft/index.js';
import { FAMILIES, logits, maxAbsDiff, perturb, tempDirs } from './helpers.js';

const quiet = { onWarning: () => undefined };
const gpt2 = FAMILIES.find((f) => f.name === 'gpt2')!;
const tmp = tempDirs();
const glowConfig = (over: Record<string, unknown> = {}) =>
  pfeifferInvConfig({ inv_adapter: 'glow', ...over });

/** A float64 GLOW block with weights well away from their small init. */
function block(hidden: number): GLOWCouplingBlock {
  const config = bottleneckConfigSchema.parse(
    glowConfig({ non_linearity: 'tanh' }),
  ) as BottleneckConfig;
  const b = new GLOWCouplingBlock(hidden, config, new Generator(1), 'float64');
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

/** The forward coupling of one feature vector in plain numbers, from the block's weights. */
function reference(b: GLOWCouplingBlock, x: number[]): number[] {
  const w = Object.fromEntries(b.namedParameters().map(([n, p]) => [n, Array.from(p.data)]));
  const linear = (name: string, v: number[]): number[] =>
    w[`${name}.bias`].map((bias, o) =>
      v.reduce((acc, vi, i) => acc + w[`${name}.weight`][o * v.length + i] * vi, bias),
    );
  const net = (name: string, v: number[]) =>
    linear(`${name}.2`, linear(`${name}.0`, v).map(Math.tanh));
  const e = (s: number) => Math.exp(5 * 0.636 * Math.atan(s / 5));
  const [n1, n2] = [b.split1, b.split2];
  const x1 = x.slice(0, n1);
  const x2 = x.slice(n1);
  const r2 = net('s2', x2);
  const y1 = x1.map((v, i) => e(r2[i]) * v + r2[n1 + i]);
  const r1 = net('s1', y1);
  const y2 = x2.map((v, i) => e(r1[i]) * v + r1[n2 + i]);
  return [...y1, ...y2];
}

describe('GLOW coupling block (inv_adapter "glow")', () => {
  it('computes the two soft-clamped affine couplings, checked against plain arithmetic', () => {
    const b = block(5);
    const x = input([3, 5], 9);
    const y = noGrad(() => b.forward(x));
    const want = [0, 1, 2].flatMap((r) => reference(b, Array.from(x.data.slice(r * 5, r * 5 + 5))));
    expect(maxAbsDiff(y.data, want)).toBeLessThan(1e-12);
  });

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

  it("has AdapterHub's GLOWCouplingBlock layout: s1 maps x1 to [s, t] of x2, s2 x2 to x1's", () => {
    const config = bottleneckConfigSchema.parse(glowConfig()) as BottleneckConfig;
    const b = new GLOWCouplingBlock(9, config, new Generator(0));
    expect(b.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      's1.0.weight:2x4',
      's1.0.bias:2',
      's1.2.weight:10x2',
      's1.2.bias:10',
      's2.0.weight:2x5',
      's2.0.bias:2',
      's2.2.weight:8x2',
      's2.2.bias:8',
    ]);
    // init_bert_weights: zero biases, N(0, 0.02) weights.
    for (const [n, p] of b.namedParameters()) {
      if (n.endsWith('bias'))
        expect(
          p.data.every((v) => v === 0),
          n,
        ).toBe(true);
      else expect(Math.max(...p.data.map(Math.abs)), n).toBeLessThan(0.2);
    }
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

describe('GLOW invertible adapters in a GPT-2 PEFT model', () => {
  it('map the embeddings after dropout and are undone before lm_head', async () => {
    const peft = getPeftModel(await gpt2.load(), glowConfig(), quiet);
    perturb(peft, 3, 0.3);
    for (const [n, p] of peft.namedParameters()) if (n.includes('adapter_up')) p.data.fill(0);
    const lm = peft.getBaseModel() as GPT2LMHeadModel;
    const t = lm.transformer;
    const inv = t.invertible_adapters as InvertibleAdapters;
    expect(inv.get('default')).toBeInstanceOf(GLOWCouplingBlock);
    const ids = gpt2.inputs().inputIds!;
    const want = noGrad(() => {
      let h = inv.forward(add(t.wte.forward(ids), slice(t.wpe.weight, 0, 0, ids.shape[1])));
      for (const blk of t.h) h = blk.forward(h).hidden;
      return lm.lm_head.forward(inv.forward(t.ln_f.forward(h), true));
    });
    const got = logits(peft, { inputIds: ids });
    expect(maxAbsDiff(got, want.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got, logits(await gpt2.load(), { inputIds: ids }))).toBeGreaterThan(1e-4);
    expect(peft.disableAdapter(() => logits(peft, { inputIds: ids }))).toEqual(
      logits(await gpt2.load(), { inputIds: ids }),
    );
  });

  it("saves under AdapterHub's names (invertible_adapters.<name>.s1/s2) and loads back exactly", async () => {
    const peft = getPeftModel(await gpt2.load(), glowConfig(), { ...quiet, adapterName: 'sw' });
    perturb(peft, 4, 0.3);
    const trainable = peft
      .namedParameters()
      .filter(([, p]) => p.requiresGrad)
      .map(([n]) => n);
    expect(trainable).toContain('base_model.model.transformer.invertible_adapters.sw.s2.2.weight');
    const before = logits(peft, gpt2.inputs());
    const dir = tmp();
    await peft.savePretrained(dir);
    const json = JSON.parse(readFileSync(join(dir, 'sw', 'adapter_config.json'), 'utf8'));
    expect(json.config).toMatchObject({ inv_adapter: 'glow', inv_adapter_reduction_factor: 2 });
    const keys = [
      ...(await readSafetensorsHeader(join(dir, 'sw', 'adapter.safetensors'))).tensors.keys(),
    ].filter((k) => k.includes('invertible'));
    expect(keys.sort()).toEqual(
      ['s1.0', 's1.2', 's2.0', 's2.2']
        .flatMap((m) => [`${m}.bias`, `${m}.weight`])
        .map((k) => `transformer.invertible_adapters.sw.${k}`)
        .sort(),
    );
    const loaded = await PeftModel.fromPretrained(await gpt2.load(), join(dir, 'sw'), quiet);
    expect(logits(loaded, gpt2.inputs())).toEqual(before);
  });
});
