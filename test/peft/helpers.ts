import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { Generator, noGrad, Tensor } from '../../src/core/index.js';
import {
  BertForSequenceClassification,
  GPT2LMHeadModel,
  LlamaForCausalLM,
  type PreTrainedModel,
} from '../../src/models/index.js';
import type { PeftInputs, PeftModel } from '../../src/peft/index.js';

export const MODEL_FIXTURES = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'models',
);

/** The tiny fixture models (2 layers, hidden 32, 4 heads; Llama with 2 kv heads). */
export interface Family {
  name: 'gpt2' | 'bert' | 'llama';
  load(): Promise<PreTrainedModel>;
  /** A batch of 2 rows of 5 tokens (one padded), with labels for the model's loss. */
  inputs(): PeftInputs;
  dims: { layers: number; hidden: number; ffn: number; kvDim: number; vocab: number };
}

const ids = (rows: number[][]): Tensor =>
  new Tensor(Int32Array.from(rows.flat()), [rows.length, rows[0].length]);

const TOKENS = [
  [5, 17, 42, 8, 23],
  [61, 3, 9, 77, 0],
];
const MASK = [
  [1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0],
];

export const FAMILIES: Family[] = [
  {
    name: 'gpt2',
    load: async () => (await GPT2LMHeadModel.fromPretrained(join(MODEL_FIXTURES, 'gpt2'))).eval(),
    inputs: () => ({ inputIds: ids(TOKENS), attentionMask: ids(MASK), labels: ids(TOKENS) }),
    dims: { layers: 2, hidden: 32, ffn: 128, kvDim: 32, vocab: 100 },
  },
  {
    name: 'bert',
    load: async () =>
      (
        await BertForSequenceClassification.fromPretrained(join(MODEL_FIXTURES, 'bert-seqcls'))
      ).eval(),
    inputs: () => ({
      inputIds: ids(TOKENS),
      attentionMask: ids(MASK),
      labels: new Tensor(Int32Array.from([2, 0]), [2]),
    }),
    dims: { layers: 2, hidden: 32, ffn: 64, kvDim: 32, vocab: 100 },
  },
  {
    name: 'llama',
    load: async () => (await LlamaForCausalLM.fromPretrained(join(MODEL_FIXTURES, 'llama'))).eval(),
    inputs: () => ({ inputIds: ids(TOKENS), attentionMask: ids(MASK), labels: ids(TOKENS) }),
    dims: { layers: 2, hidden: 32, ffn: 64, kvDim: 16, vocab: 100 },
  },
];

/** Logits of a forward pass without gradients. */
export function logits(model: PreTrainedModel | PeftModel, inputs: PeftInputs): Float32Array {
  const m = model as unknown as { forward(i: PeftInputs): { logits: Tensor } };
  return Float32Array.from(noGrad(() => m.forward(inputs)).logits.data);
}

/** Move every trainable parameter away from its init (as training would), deterministically. */
export function perturb(peft: PeftModel, seed: number, std = 0.2): void {
  const rng = new Generator(seed);
  for (const p of peft.trainableParameters()) {
    for (let i = 0; i < p.size; i++) p.data[i] += rng.normal(0, std);
  }
}

/** Copies of the given parameters' data, to compare bit for bit later. */
export function snapshot(
  params: Iterable<[string, Tensor]>,
): Map<string, Float32Array | Float64Array> {
  const out = new Map<string, Float32Array | Float64Array>();
  for (const [n, p] of params) out.set(n, p.data.slice() as Float32Array);
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Temporary directories removed after each test of the calling file. */
export function tempDirs(): () => string {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'osmosis-peft-'));
    dirs.push(d);
    return d;
  };
}

/** Collect warnings instead of printing them. */
export function collectWarnings(): { list: string[]; onWarning: (m: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (m) => list.push(m) };
}
