/**
 * The PEFT conformance suite: every registered method on every fixture family (GPT-2, BERT,
 * Llama) must round-trip through its directory format, restore the base model exactly when
 * disabled, merge/unmerge consistently (mergeable methods), train only adapter parameters,
 * expose the expected number of trainable parameters and keep two adapters apart.
 */
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/core/index.js';
import { Adam } from '../../src/optim/index.js';
import {
  getPeftModel,
  listPeftMethods,
  PeftModel,
  type PeftConfigInput,
} from '../../src/peft/index.js';
import {
  collectWarnings,
  FAMILIES,
  logits,
  maxAbsDiff,
  perturb,
  snapshot,
  tempDirs,
  type Family,
} from './helpers.js';

const tmp = tempDirs();
const N = 3; // virtual tokens

interface Case {
  config: PeftConfigInput;
  /** Trainable parameters for a family's dimensions. */
  count(d: Family['dims']): number;
}

/** One config per registered method; a method without one fails the suite. */
const CASES: Record<string, Case> = {
  lora: {
    config: { peft_type: 'LORA', r: 4, lora_alpha: 8 },
    // gpt2: c_attn [32 -> 96]; bert: query, value [32 -> 32]; llama: q_proj [32 -> 32], v_proj [32 -> 16]
    count: (d) =>
      d.layers * 4 * (d.kvDim === 16 ? 32 + 32 + 32 + 16 : d.ffn === 128 ? 32 + 96 : 2 * (32 + 32)),
  },
  ia3: {
    config: { peft_type: 'IA3' },
    // PEFT's default targets: gpt2 c_attn (96 out) + mlp.c_proj (ffn in); bert key, value (32 out)
    // + attention.output.dense (32 in) + output.dense (ffn in); llama k/v (kvDim out) + down (ffn in).
    count: (d) =>
      d.layers *
      (d.ffn === 128 ? 96 + d.ffn : d.kvDim === 16 ? 2 * d.kvDim + d.ffn : 64 + 32 + d.ffn),
  },
  prompt_tuning: {
    config: { peft_type: 'PROMPT_TUNING', num_virtual_tokens: N },
    count: (d) => N * d.hidden,
  },
  prefix_tuning: {
    config: { peft_type: 'PREFIX_TUNING', num_virtual_tokens: N },
    count: (d) => N * d.layers * 2 * d.kvDim,
  },
  adapter: {
    config: {
      peft_type: 'BOTTLENECK',
      mh_adapter: true,
      output_adapter: true,
      reduction_factor: 8,
    },
    // Houlsby placement: two adapters per layer, down = hidden / 8, with biases.
    count: (d) => d.layers * 2 * (2 * d.hidden * (d.hidden / 8) + d.hidden / 8 + d.hidden),
  },
};

async function setup(family: Family, config: PeftConfigInput): Promise<PeftModel> {
  const peft = getPeftModel(await family.load(), config, { onWarning: () => undefined });
  perturb(peft, 7);
  return peft;
}

describe('every registered method has a conformance case', () => {
  it.each(listPeftMethods().map((m) => m.name))('%s', (name) => {
    expect(CASES[name], `add a conformance case for '${name}'`).toBeDefined();
  });
});

for (const method of listPeftMethods()) {
  const c = CASES[method.name];
  if (!c) continue;
  describe.each(FAMILIES)(`${method.name} on $name`, (family) => {
    it('saves and loads back to identical outputs', async () => {
      const peft = await setup(family, c.config);
      const before = logits(peft, family.inputs());
      const dir = tmp();
      await peft.savePretrained(dir);
      const w = collectWarnings();
      const loaded = await PeftModel.fromPretrained(await family.load(), dir, {
        onWarning: w.onWarning,
      });
      expect(loaded.method.name).toBe(method.name);
      expect(logits(loaded, family.inputs())).toEqual(before);
      expect(w.list).toEqual([]);
      // Loaded for inference: nothing trains.
      expect(loaded.trainableParameterReport().trainable).toBe(0);
    });

    it('disableAdapter restores the base outputs exactly', async () => {
      const base = logits(await family.load(), family.inputs());
      const peft = await setup(family, c.config);
      expect(maxAbsDiff(logits(peft, family.inputs()), base)).toBeGreaterThan(0);
      expect(peft.disableAdapter(() => logits(peft, family.inputs()))).toEqual(base);
      await peft.disableAdapter(async () => {
        expect(peft.adaptersDisabled).toBe(true);
      });
      expect(peft.adaptersDisabled).toBe(false);
      expect(maxAbsDiff(logits(peft, family.inputs()), base)).toBeGreaterThan(0);
    });

    it.runIf(method.mergeable)('merge / unmerge: same outputs, base weights restored', async () => {
      const peft = await setup(family, c.config);
      const baseWeights = snapshot(
        peft
          .getBaseModel()
          .namedParameters()
          .filter(([n]) => n.includes('base_layer')),
      );
      const unmerged = logits(peft, family.inputs());
      peft.merge();
      expect(peft.mergedAdapters()).toEqual(['default']);
      expect(maxAbsDiff(logits(peft, family.inputs()), unmerged)).toBeLessThan(1e-5);
      // Disabling a merged model still gives the base model.
      const base = logits(await family.load(), family.inputs());
      expect(peft.disableAdapter(() => logits(peft, family.inputs()))).toEqual(base);
      expect(peft.mergedAdapters()).toEqual(['default']);
      peft.unmerge();
      expect(
        snapshot(
          peft
            .getBaseModel()
            .namedParameters()
            .filter(([n]) => n.includes('base_layer')),
        ),
      ).toEqual(baseWeights);
      expect(logits(peft, family.inputs())).toEqual(unmerged);
      const model = peft.mergeAndUnload();
      expect(maxAbsDiff(logits(model, family.inputs()), unmerged)).toBeLessThan(1e-5);
      expect(model.namedParameters().some(([n]) => /lora_|ia3_|base_layer/.test(n))).toBe(false);
    });

    it('training changes only adapter parameters', async () => {
      const peft = await setup(family, c.config);
      const model = peft.getBaseModel();
      const adapterParams = new Set(peft.trainableParameters());
      const baseParams = model.namedParameters().filter(([, p]) => !adapterParams.has(p));
      const baseBefore = snapshot(baseParams);
      const adapterBefore = snapshot(
        peft.namedParameters().filter(([, p]) => adapterParams.has(p)),
      );
      const opt = new Adam(peft.trainableParameters(), { lr: 1e-2 });
      for (let step = 0; step < 2; step++) {
        opt.zeroGrad();
        peft.forward(family.inputs()).loss!.backward();
        opt.step();
      }
      expect(snapshot(baseParams)).toEqual(baseBefore);
      const after = snapshot(peft.namedParameters().filter(([, p]) => adapterParams.has(p)));
      let changed = 0;
      for (const [n, v] of after) if (maxAbsDiff(v, adapterBefore.get(n)!) > 0) changed += 1;
      expect(changed).toBe(after.size);
      for (const [, p] of baseParams) expect(p.grad).toBeNull();
    });

    it('has the expected number of trainable parameters', async () => {
      const peft = await setup(family, c.config);
      const report = peft.trainableParameterReport();
      expect(report.trainable).toBe(c.count(family.dims));
      expect(report.all).toBe(peft.numParameters());
      expect(report.percent).toBeCloseTo((100 * report.trainable) / report.all, 10);
      expect(report.text).toMatch(
        /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/,
      );
    });

    it('keeps two adapters apart and switches between them', async () => {
      const peft = await setup(family, c.config);
      const first = logits(peft, family.inputs());
      peft.addAdapter('second', c.config);
      expect(peft.activeAdapter).toBe('default');
      expect(logits(peft, family.inputs())).toEqual(first);
      peft.setAdapter('second');
      perturb(peft, 99);
      const second = logits(peft, family.inputs());
      expect(maxAbsDiff(second, first)).toBeGreaterThan(1e-4);
      expect(peft.trainableParameterReport().trainable).toBe(c.count(family.dims));
      peft.setAdapter('default');
      expect(logits(peft, family.inputs())).toEqual(first);
      // Both save (the second under its own subdirectory) and load back by name.
      const dir = tmp();
      await peft.savePretrained(dir);
      const loaded = await PeftModel.fromPretrained(await family.load(), dir, {
        onWarning: () => undefined,
      });
      await loaded.loadAdapter(`${dir}/second`, 'second');
      expect(logits(loaded, family.inputs())).toEqual(first);
      loaded.setAdapter('second');
      expect(logits(loaded, family.inputs())).toEqual(second);
      peft.deleteAdapter('second');
      expect(Object.keys(peft.peftConfig)).toEqual(['default']);
      expect(noGrad(() => logits(peft, family.inputs()))).toEqual(first);
    });
  });
}
