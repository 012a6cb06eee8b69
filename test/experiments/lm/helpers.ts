import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../../src/core/rng.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `osmosis-lm-${prefix}-`));
}

const TOPICS: Record<string, string[]> = {
  games: ['play', 'puzzle', 'board', 'arcade', 'level'],
  sound: ['audio', 'music', 'mixer', 'player', 'codec'],
  math: ['algebra', 'matrix', 'solver', 'numeric', 'prime'],
};
const FILLER = ['a', 'small', 'tool', 'for', 'the', 'and', 'with', 'fast', 'simple'];

/**
 * A tiny generated corpus in the 'jsonl' format: English-like source sentences, target
 * sentences in a toy "language" (each word reversed) with a topic label, parallel ids.
 */
export function writeTinyCorpus(dir: string, n = 120, seed = 0): string {
  const g = new Generator(seed);
  const topics = Object.keys(TOPICS);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = topics[i % topics.length]!;
    const words = Array.from({ length: 6 + g.int(4) }, (_, j) =>
      j % 2 === 0 ? TOPICS[label]![g.int(5)]! : FILLER[g.int(FILLER.length)]!,
    );
    const text = words.join(' ');
    const reversed = words.map((w) => [...w].reverse().join('')).join(' ');
    lines.push(JSON.stringify({ domain: 'source', id: `s${i}`, text }));
    lines.push(JSON.stringify({ domain: 'target', id: `s${i}`, text: reversed, label }));
  }
  const file = join(dir, 'tiny.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A config for the tiny corpus: a one-layer model, a few steps, two seeds. */
export function tinyConfig(
  task: 'causal-lm' | 'classification',
  methods: string,
  extra = '',
): string {
  return `name: tiny-${task}
seeds: 2
data: { corpus: jsonl, file: tiny.jsonl }
tokenizer: { vocabSize: 300, maxTexts: 200 }
model: { dModel: 16, layers: 1, heads: 2, blockSize: 16 }
pretrain: { steps: 3, batchSize: 4 }
target: { task: ${task}, trainSizes: [20, 40], evalSize: 20, steps: 4, evalEvery: 2, batchSize: 4, maxLength: 12 }
methods:
${methods}
${extra}`;
}
