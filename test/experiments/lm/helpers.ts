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

/**
 * Tiny SQuAD v1.1 train and dev files: the question names a topic, the context holds two
 * "packages" (a made-up name and topic words each), the answer is the name of the one on topic.
 */
export function writeTinySquad(dir: string, train = 60, dev = 20, seed = 0): void {
  const g = new Generator(seed);
  const topics = Object.keys(TOPICS);
  const make = (n: number, prefix: string): unknown => ({
    version: '1.1',
    data: [
      {
        title: prefix,
        paragraphs: Array.from({ length: n }, (_, i) => {
          const t = g.int(topics.length);
          const other = (t + 1 + g.int(topics.length - 1)) % topics.length;
          const name = `${prefix}${i}x`;
          const para = (topic: string, who: string): string =>
            `${who} ${TOPICS[topic]![g.int(5)]} ${FILLER[g.int(FILLER.length)]} ${TOPICS[topic]![g.int(5)]}.`;
          const own = para(topics[t]!, name);
          const parts =
            g.int(2) === 0
              ? [own, para(topics[other]!, `z${i}q`)]
              : [para(topics[other]!, `z${i}q`), own];
          const context = parts.join(' ');
          return {
            context,
            qas: [
              {
                id: `${prefix}-${i}`,
                question: `which ${topics[t]} tool`,
                answers: [{ text: name, answer_start: context.indexOf(name) }],
              },
            ],
          };
        }),
      },
    ],
  });
  writeFileSync(join(dir, 'train.json'), JSON.stringify(make(train, 'tr')));
  writeFileSync(join(dir, 'dev.json'), JSON.stringify(make(dev, 'dv')));
}

/** A QA config on those files: a one-layer BERT, a few steps, two seeds. */
export function tinyQaConfig(methods: string): string {
  return `name: tiny-qa
seeds: 2
data: { corpus: squad, train: train.json, dev: dev.json }
tokenizer: { vocabSize: 300, maxTexts: 200 }
model: { family: bert, dModel: 16, layers: 1, heads: 2 }
pretrain: { steps: 3, batchSize: 4 }
target: { task: question-answering, trainSizes: [40], evalSize: 20, steps: 4, evalEvery: 2, batchSize: 4, maxLength: 24, docStride: 6 }
methods:
${methods}
`;
}
