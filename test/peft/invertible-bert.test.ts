import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noGrad, readSafetensorsHeader, Tensor } from '../../src/core/index.js';
import { BertForMaskedLM, type BertForSequenceClassification } from '../../src/models/index.js';
import {
  getPeftModel,
  GLOWCouplingBlock,
  InvertibleAdapters,
  NICECouplingBlock,
  PeftModel,
  pfeifferConfig,
  pfeifferInvConfig,
} from '../../src/peft/index.js';
import { FAMILIES, logits, maxAbsDiff, MODEL_FIXTURES, perturb, tempDirs } from './helpers.js';

const quiet = { onWarning: () => undefined };
const bert = FAMILIES.find((f) => f.name === 'bert')!;
const tmp = tempDirs();
const loadMlm = async () =>
  (await BertForMaskedLM.fromPretrained(join(MODEL_FIXTURES, 'bert-mlm'))).eval();
const ids = new Tensor(Int32Array.from([5, 17, 42, 8, 23, 61, 3, 9, 77, 1]), [2, 5]);

/** A PEFT BERT whose only change to the model is its (perturbed) coupling. */
async function couplingOnly(kind: 'nice' | 'glow', name = 'default') {
  const peft = getPeftModel(await loadMlm(), pfeifferInvConfig({ inv_adapter: kind }), {
    ...quiet,
    adapterName: name,
  });
  perturb(peft, 7, 0.3);
  for (const [n, p] of peft.namedParameters()) if (n.includes('adapter_up')) p.data.fill(0);
  return peft;
}

describe('invertible adapters on BERT (AdapterHub: after the embeddings, undone before the decoder)', () => {
  for (const kind of ['nice', 'glow'] as const) {
    it(`${kind}: maps the embeddings' output and is undone between the MLM transform and the decoder`, async () => {
      const peft = await couplingOnly(kind);
      const base = await loadMlm();
      const mlm = peft.getBaseModel() as BertForMaskedLM;
      const inv = mlm.bert.invertible_adapters as InvertibleAdapters;
      expect(inv.get('default')).toBeInstanceOf(
        kind === 'nice' ? NICECouplingBlock : GLOWCouplingBlock,
      );
      const want = noGrad(() => {
        const h = inv.forward(base.bert.embeddings.forward({ inputIds: ids }));
        const last = base.bert.encoder.forward(h);
        const p = base.cls.predictions;
        return p.decoder.forward(inv.forward(p.transform.forward(last), true));
      });
      const got = logits(peft, { inputIds: ids });
      expect(maxAbsDiff(got, want.data)).toBeLessThan(1e-5);
      // Undone before the transform instead, the logits would differ: the position matters.
      const early = noGrad(() =>
        base.cls.forward(
          inv.forward(
            base.bert.encoder.forward(inv.forward(base.bert.embeddings.forward({ inputIds: ids }))),
            true,
          ),
        ),
      );
      expect(maxAbsDiff(got, early.data)).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(got, logits(base, { inputIds: ids }))).toBeGreaterThan(1e-4);
      expect(peft.disableAdapter(() => logits(peft, { inputIds: ids }))).toEqual(
        logits(base, { inputIds: ids }),
      );
    });
  }

  it('trains the coupling with the adapter; only the first adapter of a stack brings one', async () => {
    const peft = await couplingOnly('nice', 'lang');
    const trainable = peft
      .namedParameters()
      .filter(([, p]) => p.requiresGrad)
      .map(([n]) => n);
    expect(trainable).toContain('base_model.model.bert.invertible_adapters.lang.F.0.weight');
    peft.addAdapter('task', pfeifferConfig());
    peft.setAdapterStack(['lang', 'task']);
    const withLang = logits(peft, { inputIds: ids });
    for (const [n, p] of peft.namedParameters())
      expect(p.requiresGrad, n).toBe(n.includes('adapters.task.'));
    peft.setAdapterStack(['task', 'lang']);
    const mlm = peft.getBaseModel() as BertForMaskedLM;
    const taskFirst = logits(peft, { inputIds: ids });
    (mlm.bert.invertible_adapters as InvertibleAdapters).delete('lang');
    expect(logits(peft, { inputIds: ids })).toEqual(taskFirst);
    expect(maxAbsDiff(taskFirst, withLang)).toBeGreaterThan(1e-5);
  });

  it('saves `bert.invertible_adapters.<name>...` as AdapterHub names them and loads back exactly', async () => {
    const peft = await couplingOnly('glow', 'sw');
    const before = logits(peft, { inputIds: ids });
    const dir = tmp();
    await peft.savePretrained(dir);
    const keys = [
      ...(await readSafetensorsHeader(join(dir, 'sw', 'adapter.safetensors'))).tensors.keys(),
    ];
    expect(keys).toContain('bert.invertible_adapters.sw.s1.0.weight');
    expect(keys.filter((k) => k.includes('invertible')).length).toBe(8);
    const loaded = await PeftModel.fromPretrained(await loadMlm(), join(dir, 'sw'), quiet);
    expect(logits(loaded, { inputIds: ids })).toEqual(before);
  });

  it('a sequence classifier takes the coupling on its embeddings (it has no decoder to undo it at)', async () => {
    const peft = getPeftModel(await bert.load(), pfeifferInvConfig(), quiet);
    perturb(peft, 8, 0.3);
    for (const [n, p] of peft.namedParameters()) if (n.includes('adapter_up')) p.data.fill(0);
    const m = peft.getBaseModel() as BertForSequenceClassification;
    const inv = m.bert.invertible_adapters as InvertibleAdapters;
    const base = (await bert.load()) as BertForSequenceClassification;
    const inputs = bert.inputs();
    const want = noGrad(() => {
      const h = inv.forward(base.bert.embeddings.forward({ inputIds: inputs.inputIds! }));
      const out = base.bert.encoder.forward(h, inputs.attentionMask);
      return base.classifier.forward(base.bert.pooler!.forward(out));
    });
    expect(
      maxAbsDiff(
        logits(peft, { inputIds: inputs.inputIds!, attentionMask: inputs.attentionMask }),
        want.data,
      ),
    ).toBeLessThan(1e-5);
  });
});
