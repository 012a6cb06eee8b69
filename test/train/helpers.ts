/** A tiny classifier and dataset for Trainer tests: fast enough to train in milliseconds. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossEntropy, Generator, mean, type Tensor } from '../../src/core/index.js';
import { Embedding, LayerNorm, Linear, Module } from '../../src/nn/index.js';
import type { Batch } from '../../src/train/index.js';

export const VOCAB = 12;
export const CLASSES = 3;

/** Mean of token embeddings -> LayerNorm -> linear head; cross-entropy when labels are given. */
export class TinyClassifier extends Module {
  emb: Embedding;
  norm: LayerNorm;
  head: Linear;

  constructor(seed = 0, dim = 8) {
    super();
    const rng = new Generator(seed);
    this.emb = new Embedding(VOCAB, dim, { rng });
    this.norm = new LayerNorm(dim);
    this.head = new Linear(dim, CLASSES, { rng });
  }

  forward(inputs: Batch): { logits: Tensor; loss?: Tensor } {
    const h = mean(this.emb.forward(inputs.inputIds!), 1);
    const logits = this.head.forward(this.norm.forward(h));
    return inputs.labels ? { logits, loss: crossEntropy(logits, inputs.labels) } : { logits };
  }
}

export interface TinyExample {
  inputIds: number[];
  label: number;
}

/** Class c mostly uses tokens 4c..4c+3, with some noise tokens from anywhere. */
export function tinyDataset(n: number, seed = 1, length = 6): TinyExample[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => {
    const label = g.int(CLASSES);
    const inputIds = Array.from({ length }, () =>
      g.uniform() < 0.8 ? 4 * label + g.int(4) : g.int(VOCAB),
    );
    return { inputIds, label };
  });
}

/** A fresh temporary directory and its cleanup. */
export function tempDir(prefix = 'osmosis-train-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies of every parameter's values, by name. */
export function snapshot(model: Module): Map<string, Float32Array | Float64Array | Int32Array> {
  const out = new Map<string, Float32Array | Float64Array | Int32Array>();
  for (const [name, t] of model.stateDict()) out.set(name, t.data.slice());
  return out;
}

/** Whether two snapshots are bitwise equal. */
export function sameBits(
  a: Map<string, ArrayLike<number>>,
  b: Map<string, ArrayLike<number>>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.length !== v.length) return false;
    for (let i = 0; i < v.length; i++) if (!Object.is(v[i], w[i])) return false;
  }
  return true;
}

/** A quiet, fast default for tests. */
export const QUIET = { disableProgressBar: true, loggingSteps: 1, saveStrategy: 'no' } as const;
