/**
 * The question-answering experiment of `osmosis lm` on tiny SQuAD files (the same path serves
 * the Debian QA set and real SQuAD): masked-LM pretraining of a BERT, then scratch, full
 * fine-tuning, LoRA and a bottleneck adapter scored by SQuAD EM and F1; the config's checks.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentConfigError, parseExperimentYaml } from '../../../src/experiments/index.js';
import {
  lmJobResultSchema,
  lmResultPath,
  resumeLmExperiment,
  runLmExperiment,
  validateLmExperiment,
} from '../../../src/experiments/lm/index.js';
import { lmResultsSection } from '../../../src/experiments/lm/results.js';
import { tempDir, tinyConfig, tinyQaConfig, writeTinySquad } from './helpers.js';

const METHODS = `  - { name: scratch, kind: scratch }
  - { name: full, kind: full }
  - { name: lora, kind: peft, lr: 0.01, peft: { peft_type: LORA, r: 2, target_modules: [query, value] } }
  - { name: adapter, kind: peft, peft: { peft_type: BOTTLENECK, reduction_factor: 4 } }`;

describe('osmosis lm: question answering', () => {
  it('pretrains a BERT by masked LM and scores every method by SQuAD EM and F1', async () => {
    const dir = tempDir('qa');
    writeTinySquad(dir);
    writeFileSync(join(dir, 'exp.yaml'), tinyQaConfig(METHODS));
    const out = await runLmExperiment(join(dir, 'exp.yaml'), { out: join(dir, 'runs') });
    expect(out.ran).toBe(8);
    const run = out.runDir;
    const config = JSON.parse(readFileSync(join(run, 'pretrained/config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForMaskedLM']);
    expect(existsSync(join(run, 'plots/f1-vs-steps-n40.svg'))).toBe(true);
    const r = lmJobResultSchema.parse(
      JSON.parse(readFileSync(lmResultPath(run, 40, 'lora', 1), 'utf8')),
    );
    expect(r.curve.map((p) => p.step)).toEqual([0, 2, 4]);
    for (const p of r.curve) {
      expect(Object.keys(p.metrics).sort()).toEqual(['exact_match', 'f1', 'loss']);
      expect(p.metrics.f1).toBeGreaterThanOrEqual(p.metrics.exact_match! - 1e-9);
      expect(p.metrics.f1).toBeLessThanOrEqual(100);
    }
    const rows = Object.fromEntries(out.summary.rows.map((x) => [x.name, x]));
    expect(Object.keys(rows)).toEqual(['scratch', 'full', 'lora', 'adapter']);
    expect(out.summary.headline).toBe('f1');
    expect(out.summary.lowerIsBetter).toBe(false);
    const total = rows.full!.params.total;
    expect(rows.full!.params.trainable).toBe(total);
    // BERT, d 16, one layer, feed-forward 64: the span head is 16 x 2 + 2.
    const head = 34;
    // LoRA r 2 on query and value: 2 x (16 x 2 + 2 x 16), plus the head (modules_to_save).
    expect(rows.lora!.params.trainable).toBe(128 + head);
    // The adapter after the feed-forward (16 -> 4 -> 16, with biases) and the head.
    expect(rows.adapter!.params.trainable).toBe(16 * 4 + 4 + 4 * 16 + 16 + head);
    for (const name of ['lora', 'adapter']) expect(rows[name]!.frozenUnchanged).toBe(true);
    // Full fine-tuning and the PEFT methods start from the same body, each with its own head.
    expect(rows.scratch!.final.f1!.n).toBe(2);
    expect(readFileSync(join(run, 'summary.md'), 'utf8')).toContain('exact_match at end');

    const again = await resumeLmExperiment(run);
    expect(again.ran).toBe(0);
    expect(again.summary).toEqual(out.summary);

    // The LM table of `osmosis results`: this run's rows; a config without a run is named.
    writeFileSync(join(dir, 'other.yaml'), tinyQaConfig(METHODS).replace('tiny-qa', 'other-qa'));
    const { lines, entries } = await lmResultsSection(dir, join(dir, 'runs'));
    expect(entries.map((e) => [e.name, e.runId])).toEqual([
      ['tiny-qa', out.id],
      ['other-qa', null],
    ]);
    const text = lines.join('\n');
    const full = rows.full!.final.f1!.mean;
    const lora = rows.lora!.final.f1!.mean;
    const loraRow = text.split('\n').find((l) => l.includes('| lora '))!;
    expect(loraRow).toContain(`| ${((100 * lora) / full).toFixed(0)}%`);
    expect(loraRow).toContain(`${rows.lora!.params.percent.toFixed(1)}%`);
    expect(loraRow).toMatch(/F1 [0-9.]+ \[.*\]; EM /);
    expect(text).toMatch(/\| full +\| F1 .*\| — +\| 100\.0% +\| \d+ s +\| 0\.001 +\|/);
    expect(loraRow).toMatch(/\| 0\.01 +\|$/);
    expect(text).toContain(
      `No complete run under the runs folder: \`other-qa\` (\`osmosis lm ${relative(process.cwd(), join(dir, 'other.yaml'))}\`)`,
    );
    // A run of another config with the same name is not this config's.
    writeFileSync(join(dir, 'exp.yaml'), tinyQaConfig(METHODS).replace('steps: 4,', 'steps: 6,'));
    const changed = await lmResultsSection(dir, join(dir, 'runs'));
    expect(changed.entries[0]!.runId).toBeNull();
  });
});

describe('osmosis lm: question answering from a GPT-2', () => {
  it('pretrains a causal LM and answers with GPT2ForQuestionAnswering', async () => {
    const dir = tempDir('qa-gpt2');
    writeTinySquad(dir);
    const methods = `  - { name: full, kind: full }
  - { name: lora, kind: peft, lr: 0.01, peft: { peft_type: LORA, r: 2, target_modules: [c_attn] } }
  - { name: adapter, kind: peft, peft: { peft_type: BOTTLENECK, reduction_factor: 4 } }`;
    writeFileSync(
      join(dir, 'exp.yaml'),
      tinyQaConfig(methods).replace('family: bert', 'family: gpt2').replace('seeds: 2', 'seeds: 1'),
    );
    const out = await runLmExperiment(join(dir, 'exp.yaml'), { out: join(dir, 'runs') });
    expect(out.ran).toBe(3);
    const config = JSON.parse(readFileSync(join(out.runDir, 'pretrained/config.json'), 'utf8'));
    expect(config.architectures).toEqual(['GPT2LMHeadModel']);
    const rows = Object.fromEntries(out.summary.rows.map((x) => [x.name, x]));
    // The span head: Linear(16, 2) with bias, as transformers' GPT2ForQuestionAnswering.
    const head = 34;
    // LoRA r 2 on c_attn (16 -> 48): 2 x 16 + 48 x 2, plus the head.
    expect(rows.lora!.params.trainable).toBe(2 * 16 + 48 * 2 + head);
    for (const r of Object.values(rows)) {
      expect(r.final.f1!.mean).toBeGreaterThanOrEqual(0);
      expect(r.final.f1!.mean).toBeLessThanOrEqual(100);
    }
    for (const name of ['lora', 'adapter']) expect(rows[name]!.frozenUnchanged).toBe(true);
    // Every method starts from the same pretrained body, each with a fresh head of one seed.
    expect(rows.lora!.initial.f1!.mean).toBe(rows.full!.initial.f1!.mean);
  });
});

describe('LM experiment config: question answering', () => {
  const check = (text: string): string => {
    try {
      validateLmExperiment(parseExperimentYaml(text, 'x.yaml'), { file: 'x.yaml', baseDir: '/d' });
    } catch (err) {
      expect(err).toBeInstanceOf(ExperimentConfigError);
      return (err as Error).message;
    }
    throw new Error('expected the config to be refused');
  };

  it('resolves the SQuAD files and fills the QA defaults', () => {
    const exp = validateLmExperiment(parseExperimentYaml(tinyQaConfig(METHODS), 'x.yaml'), {
      baseDir: '/d',
    });
    expect([exp.data.train, exp.data.dev]).toEqual(['/d/train.json', '/d/dev.json']);
    expect(exp.pretrain.mlmProbability).toBe(0.15);
    expect(exp.data.qa).toEqual({ devSize: 1000, distractors: 2, maxParagraphChars: 500 });
  });

  it('refuses gpt2 tasks on bert, QA without a QA corpus, missing files', () => {
    expect(
      check(
        tinyConfig('classification', METHODS).replace('dModel: 16', 'family: bert, dModel: 16'),
      ),
    ).toMatch(
      /target\.task 'classification' runs on 'gpt2', got 'bert' \(bert runs question answering\)/,
    );
    expect(
      check(
        tinyConfig('classification', METHODS).replace(
          'corpus: jsonl, file: tiny.jsonl',
          'corpus: debian-qa',
        ),
      ),
    ).toMatch(/corpus 'debian-qa' holds questions: it needs target\.task 'question-answering'/);
    expect(check(tinyQaConfig(METHODS).replace(', dev: dev.json', ''))).toMatch(
      /data\.dev: missing \(corpus 'squad' reads a train and a dev file\)/,
    );
    expect(check(tinyQaConfig(METHODS).replace('docStride: 6', 'docStride: 24'))).toMatch(
      /target\.docStride: 24 must be below target\.maxLength 24/,
    );
  });
});
