import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { add, crossEntropy, noGrad, reshape, Tensor, ValueError } from '../../src/core/index.js';
import { Adam } from '../../src/optim/index.js';
import {
  getPeftModel,
  houlsbyConfig,
  PeftModel,
  pfeifferConfig,
  type BottleneckDict,
} from '../../src/peft/index.js';
import { FAMILIES, logits, maxAbsDiff, perturb, snapshot, tempDirs } from './helpers.js';

const quiet = { onWarning: () => undefined };
const [gpt2, bert] = ['gpt2', 'bert'].map((n) => FAMILIES.find((f) => f.name === n)!);
const tmp = tempDirs();

/** A model with a 'lang' and a 'task' adapter, both moved away from their init. */
async function madx(family = gpt2, config = pfeifferConfig()): Promise<PeftModel> {
  const peft = getPeftModel(await family.load(), config, { ...quiet, adapterName: 'lang' });
  peft.addAdapter('task', config);
  for (const [name, seed] of [
    ['lang', 3],
    ['task', 4],
  ] as const) {
    peft.setAdapter(name);
    perturb(peft, seed, 0.3);
  }
  return peft;
}

const vector = (n: number, f: (i: number) => number): Tensor =>
  new Tensor(
    Float32Array.from({ length: n }, (_, i) => f(i)),
    [2, n / 2],
  );

describe("bottleneck adapters stacked (AdapterHub's Stack, MAD-X)", () => {
  it('a pre-norm site (GPT-2, Pfeiffer) applies x -> x + A(x) for lang, then for task', async () => {
    const peft = await madx();
    peft.setAdapterStack(['lang', 'task']);
    const site = peft.getBaseModel().getSubmodule('transformer.h.1.output_adapters') as unknown as {
      adapters: BottleneckDict;
    };
    const h = vector(64, (i) => Math.sin(i));
    const input = vector(64, (i) => Math.cos(3 * i));
    const got = noGrad(() => site.adapters.forward(h, input, null));
    const want = noGrad(() => {
      const x = add(h, input);
      const y = site.adapters.get('lang').forward(x, x);
      return site.adapters.get('task').forward(y, y);
    });
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-6);
    expect(maxAbsDiff(got.data, noGrad(() => add(h, input)).data)).toBeGreaterThan(1e-3);
  });

  it('a post-norm site (BERT, Houlsby) feeds the lang output to task, then adds and normalises', async () => {
    const peft = await madx(bert, houlsbyConfig());
    peft.setAdapterStack(['lang', 'task']);
    const out = peft.getBaseModel().getSubmodule('bert.encoder.layer.0.output') as unknown as {
      adapters: BottleneckDict;
      LayerNorm: { forward(t: Tensor): Tensor };
    };
    const h = vector(64, (i) => Math.sin(i));
    const input = vector(64, (i) => Math.cos(3 * i));
    const got = noGrad(() => out.adapters.forward(h, input, out.LayerNorm as never));
    const want = noGrad(() => {
      const y = out.adapters.get('lang').forward(h, h);
      return out.LayerNorm.forward(add(out.adapters.get('task').forward(y, y), input));
    });
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-5);
  });

  it('with one adapter at zero, the stack is exactly the other adapter alone', async () => {
    const peft = await madx();
    const inputs = gpt2.inputs();
    peft.setAdapter('lang');
    const langOnly = logits(peft, inputs);
    peft.setAdapter('task');
    const taskOnly = logits(peft, inputs);
    peft.setAdapterStack(['lang', 'task']);
    const stacked = logits(peft, inputs);
    expect(maxAbsDiff(stacked, langOnly)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(stacked, taskOnly)).toBeGreaterThan(1e-4);
    expect(peft.activeStack).toEqual(['lang', 'task']);

    const zeroUp = (name: string) => {
      for (const [n, p] of peft.namedParameters()) {
        if (n.includes(`adapters.${name}.adapter_up`)) p.data.fill(0);
      }
    };
    const saved = snapshot(peft.namedParameters());
    zeroUp('task');
    expect(logits(peft, inputs)).toEqual(langOnly);
    for (const [n, p] of peft.namedParameters()) p.data.set(saved.get(n)!);
    zeroUp('lang');
    expect(logits(peft, inputs)).toEqual(taskOnly);
  });

  it('training the task adapter in the stack leaves the language adapter and the base unchanged', async () => {
    const peft = await madx();
    peft.setAdapterStack(['lang', 'task']);
    expect(peft.activeAdapter).toBe('task');
    const trainable = peft.trainableParameters();
    const names = peft
      .namedParameters()
      .filter(([, p]) => p.requiresGrad)
      .map(([n]) => n);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(n).toMatch(/adapters\.task\./);
    const frozen = snapshot(peft.namedParameters().filter(([n]) => !n.includes('.task.')));
    const task = snapshot(peft.namedParameters().filter(([n]) => n.includes('.task.')));
    const opt = new Adam(trainable, { lr: 1e-2 });
    const { inputIds } = gpt2.inputs();
    const ids = inputIds!;
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const out = peft.forward({ inputIds: ids });
      const [B, T, V] = out.logits.shape;
      const loss = crossEntropy(reshape(out.logits, [B * T, V]), reshape(ids, [B * T]));
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(losses[2]).toBeLessThan(losses[0]);
    for (const [n, p] of peft.namedParameters()) {
      if (frozen.has(n)) {
        expect(p.data, n).toEqual(frozen.get(n));
        expect(p.grad, n).toBeNull();
      } else expect(maxAbsDiff(p.data, task.get(n)!), n).toBeGreaterThan(0);
    }
  });

  it("saves each adapter in AdapterHub's layout and loads the stack back", async () => {
    const peft = await madx();
    peft.setAdapterStack(['lang', 'task']);
    const before = logits(peft, gpt2.inputs());
    const dir = tmp();
    await peft.savePretrained(dir);
    for (const name of ['lang', 'task']) {
      const json = JSON.parse(readFileSync(join(dir, name, 'adapter_config.json'), 'utf8'));
      expect(json).toMatchObject({ name, model_type: 'gpt2', config: { output_adapter: true } });
    }
    const loaded = await PeftModel.fromPretrained(await gpt2.load(), join(dir, 'lang'), {
      ...quiet,
      adapterName: 'lang',
    });
    await loaded.loadAdapter(join(dir, 'task'), 'task');
    expect(logits(loaded, gpt2.inputs())).not.toEqual(before); // 'lang' alone
    loaded.setAdapterStack(['lang', 'task']);
    expect(logits(loaded, gpt2.inputs())).toEqual(before);
    // The reverse order is a different model.
    loaded.setAdapterStack(['task', 'lang']);
    expect(maxAbsDiff(logits(loaded, gpt2.inputs()), before)).toBeGreaterThan(1e-5);
  });

  it('setAdapter ends the stack; bad stacks and non-bottleneck methods fail with typed errors', async () => {
    const peft = await madx();
    peft.setAdapterStack(['lang', 'task']);
    peft.setAdapter('lang');
    expect(peft.activeStack).toBeNull();
    expect(() => peft.setAdapterStack(['lang', 'nope'])).toThrow(/no adapter 'nope'/);
    expect(() => peft.setAdapterStack(['lang', 'lang'])).toThrow(ValueError);
    expect(() => peft.setAdapterStack(['lang', 'task'], 'other')).toThrow(/not in the stack/);
    peft.setAdapterStack(['lang', 'task']);
    peft.deleteAdapter('lang');
    expect(peft.activeStack).toBeNull();
    const lora = getPeftModel(await gpt2.load(), { peft_type: 'LORA', r: 2 }, quiet);
    expect(() => lora.setAdapterStack(['default'])).toThrow(/cannot be stacked/);
  });
});
