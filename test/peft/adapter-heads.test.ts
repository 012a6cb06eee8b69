import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/optim/index.js';
import { getPeftModel, pfeifferConfig, type PeftModel } from '../../src/peft/index.js';
import { FAMILIES, snapshot } from './helpers.js';

const quiet = { onWarning: () => undefined };
const bert = FAMILIES.find((f) => f.name === 'bert')!;

const trainableNames = (peft: PeftModel): string[] =>
  peft
    .namedParameters()
    .filter(([, p]) => p.requiresGrad)
    .map(([n]) => n);

describe("bottleneck adapters train the task head with the adapter (AdapterHub's heads)", () => {
  it('a SEQ_CLS adapter trains the classifier in place; other tasks leave it frozen', async () => {
    const cls = getPeftModel(await bert.load(), pfeifferConfig({ task_type: 'SEQ_CLS' }), quiet);
    const names = trainableNames(cls);
    expect(names).toContain('base_model.model.classifier.weight');
    expect(names).toContain('base_model.model.classifier.bias');
    for (const n of names) expect(n).toMatch(/adapters\.default\.|\.classifier\./);
    const plain = getPeftModel(await bert.load(), pfeifferConfig(), quiet);
    expect(trainableNames(plain).filter((n) => n.includes('classifier'))).toEqual([]);
  });

  it('in a MAD-X stack the head trains with the task adapter and survives re-stacking', async () => {
    const peft = getPeftModel(await bert.load(), pfeifferConfig({ task_type: 'CAUSAL_LM' }), {
      ...quiet,
      adapterName: 'lang',
    });
    peft.addAdapter('task', pfeifferConfig({ task_type: 'SEQ_CLS' }));
    peft.setAdapterStack(['lang', 'task']);
    // Swapping the stack (as a zero-shot evaluation does) re-freezes and re-opens the same set.
    peft.setAdapterStack(['task', 'lang'], 'task');
    peft.setAdapterStack(['lang', 'task']);
    for (const n of trainableNames(peft)) expect(n).toMatch(/adapters\.task\.|\.classifier\./);
    const frozen = snapshot(peft.namedParameters().filter(([, p]) => !p.requiresGrad));
    const head = snapshot(peft.namedParameters().filter(([n]) => n.includes('classifier')));
    const opt = new Adam(peft.trainableParameters(), { lr: 1e-2 });
    for (let step = 0; step < 2; step++) {
      opt.zeroGrad();
      peft.forward(bert.inputs()).loss!.backward();
      opt.step();
    }
    for (const [n, p] of peft.namedParameters()) {
      if (frozen.has(n)) expect(p.data, n).toEqual(frozen.get(n));
      else if (head.has(n)) expect(p.data, n).not.toEqual(head.get(n));
    }
    peft.setAdapter('lang');
    expect(trainableNames(peft).filter((n) => n.includes('classifier'))).toEqual([]);
  });
});
