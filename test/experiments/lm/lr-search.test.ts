/**
 * Per-method learning-rate search: every rate of a grid trains on the seed's budget less its
 * validation split, the rate best on that split is reported, and the held-out set never takes
 * part in the choice.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentConfigError, parseExperimentYaml } from '../../../src/experiments/index.js';
import {
  computeLmSummary,
  lmJobResultSchema,
  lmResultPath,
  lrsOf,
  resumeLmExperiment,
  runLmExperiment,
  selectLmResults,
  validateLmExperiment,
  type LmJobResult,
} from '../../../src/experiments/lm/index.js';
import { tempDir, tinyConfig, tinyQaConfig, writeTinyCorpus, writeTinySquad } from './helpers.js';

const GRID_TARGET = 'evalEvery: 2, batchSize: 4, maxLength: 12, validationFraction: 0.25';

function validate(text: string): ReturnType<typeof validateLmExperiment> {
  return validateLmExperiment(parseExperimentYaml(text, 'x.yaml'), { file: 'x.yaml' });
}

function problems(text: string): string[] {
  try {
    validate(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ExperimentConfigError);
    return (err as ExperimentConfigError).message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  throw new Error('expected the config to be refused');
}

function job(lr: number, validation: Record<string, number>, heldOut: number): LmJobResult {
  return {
    format: 'osmosis-lm-job',
    version: 1,
    method: 'lora',
    kind: 'peft',
    seed: 0,
    trainSize: 20,
    trainExamples: 15,
    params: { trainable: 1, total: 10 },
    frozenParameters: 1,
    frozenChanged: [],
    curve: [{ step: 4, metrics: { perplexity: heldOut, loss: Math.log(heldOut) } }],
    seconds: 1,
    lr,
    validation,
  };
}

describe('LM experiments: learning-rate search', () => {
  it('validates grids: with a validation split, not beside lr, no repeats, splits non-empty', () => {
    const grid = `  - { name: full, kind: full, lrGrid: [0.001, 0.01] }`;
    expect(problems(tinyConfig('causal-lm', grid))).toEqual([
      'methods[0].lrGrid: 2 learning rates need target.validationFraction: the validation split they are picked on',
    ]);
    const withVal = (methods: string, target = ''): string =>
      tinyConfig('causal-lm', methods).replace(
        'evalEvery: 2, batchSize: 4, maxLength: 12',
        `${GRID_TARGET}${target}`,
      );
    expect(
      problems(withVal(`  - { name: full, kind: full, lr: 0.1, lrGrid: [0.001, 0.001] }`)),
    ).toEqual([
      'methods[0].lrGrid: set either lr or lrGrid, not both',
      'methods[0].lrGrid: learning rates repeat: 0.001, 0.001',
    ]);
    expect(problems(withVal(grid, ', lrGrid: [0.1, -1]'))[0]).toMatch(/^target\.lrGrid\[1\]/);
    expect(
      problems(withVal(grid).replace('validationFraction: 0.25', 'validationFraction: 0.01')),
    ).toEqual([
      'target.validationFraction: 0.01 of trainSize 20 leaves 0 validation and 20 training examples; each needs at least 1',
      'target.validationFraction: 0.01 of trainSize 40 leaves 0 validation and 40 training examples; each needs at least 1',
    ]);
    // A method's own grid, then its lr, then the target's grid, then the target's lr.
    const exp = validate(
      withVal(
        `${grid}\n  - { name: a, kind: scratch, lr: 0.5 }\n  - { name: b, kind: scratch }`,
        ', lrGrid: [0.2, 0.3]',
      ),
    );
    expect(exp.methods.map((m) => lrsOf(exp, m))).toEqual([[0.001, 0.01], [0.5], [0.2, 0.3]]);
    const { lrGrid: _unused, ...target } = exp.target;
    expect(lrsOf({ target }, exp.methods[2]!)).toEqual([1e-3]);
  });

  it('picks on the validation split, never on the held-out metrics', () => {
    const exp = validate(
      tinyConfig(
        'causal-lm',
        `  - { name: lora, kind: peft, lrGrid: [0.01, 0.1, 1], peft: { peft_type: LORA } }`,
      )
        .replace('evalEvery: 2, batchSize: 4, maxLength: 12', GRID_TARGET)
        .replace('trainSizes: [20, 40]', 'trainSizes: [20]')
        .replace('seeds: 2', 'seeds: 1'),
    );
    // 0.1 has the best held-out perplexity, 1 the best validation perplexity: 1 is reported.
    const jobs = [
      job(0.01, { perplexity: 50, loss: 3.9 }, 40),
      job(0.1, { perplexity: 30, loss: 3.4 }, 10),
      job(1, { perplexity: 20, loss: 3.0 }, 35),
    ];
    expect(selectLmResults(exp, jobs).chosen.map((r) => r.lr)).toEqual([1]);
    const s = computeLmSummary('id', exp, 'd', jobs);
    expect(s.rows[0]!.final.perplexity!.mean).toBe(35);
    expect(s.rows[0]!.lr).toEqual([1]);
    expect(s.rows[0]!.lrSearch).toEqual([
      { lr: 0.01, validation: 50, picked: 0 },
      { lr: 0.1, validation: 30, picked: 0 },
      { lr: 1, validation: 20, picked: 1 },
    ]);
    // A diverged run (NaN) never wins; a tie on the headline goes to the lower loss.
    const tied = [
      job(0.01, { perplexity: 30, loss: 3.5 }, 40),
      job(0.1, { perplexity: 30, loss: 3.4 }, 10),
      job(1, { perplexity: NaN, loss: NaN }, 35),
    ];
    expect(selectLmResults(exp, tied).chosen.map((r) => r.lr)).toEqual([0.1]);
    // An incomplete grid reports nothing for that seed, and says what is missing.
    const partial = selectLmResults(exp, jobs.slice(0, 2));
    expect(partial.chosen).toEqual([]);
    expect(partial.missing).toEqual(['n=20 lora seed 0 lr 1']);
  });

  it('a classification run: each rate a job, the split held out of training, resumable', async () => {
    const dir = tempDir('lr');
    writeTinyCorpus(dir);
    const methods = `  - { name: full, kind: full, lrGrid: [0.001, 0.3] }
  - { name: lora, kind: peft, lr: 0.01, peft: { peft_type: LORA, r: 2, target_modules: [c_attn] } }
  - { name: head, kind: head }`;
    writeFileSync(
      join(dir, 'exp.yaml'),
      tinyConfig('classification', methods)
        .replace('trainSizes: [20, 40]', 'trainSizes: [40]')
        .replace(
          'evalEvery: 2, batchSize: 4, maxLength: 12',
          `${GRID_TARGET}, lrGrid: [0.01, 0.05]`,
        ),
    );
    const out = await runLmExperiment(join(dir, 'exp.yaml'), { out: join(dir, 'runs') });
    // (2 + 1 + 2 rates) x 2 seeds.
    expect(out.ran).toBe(10);
    const read = (method: string, seed: number, lr?: number): LmJobResult =>
      lmJobResultSchema.parse(
        JSON.parse(readFileSync(lmResultPath(out.runDir, 40, method, seed, lr), 'utf8')),
      );
    const lora = read('lora', 0);
    expect(lora.lr).toBe(0.01);
    // 10 of the 40 examples are the validation split, for every method.
    expect(lora.trainExamples).toBe(30);
    expect(Object.keys(lora.validation!).sort()).toEqual(['accuracy', 'loss', 'macro_f1']);
    for (const seed of [0, 1]) {
      const [a, b] = [read('full', seed, 0.001), read('full', seed, 0.3)];
      expect(a.trainExamples).toBe(30);
      const row = out.summary.rows.find((r) => r.name === 'full')!;
      const pick =
        b.validation!.accuracy! > a.validation!.accuracy! ||
        (b.validation!.accuracy === a.validation!.accuracy &&
          b.validation!.loss! < a.validation!.loss!)
          ? b
          : a;
      expect(row.lr[seed]).toBe(pick.lr);
    }
    const head = out.summary.rows.find((r) => r.name === 'head')!;
    expect(head.lrSearch!.map((g) => g.lr)).toEqual([0.01, 0.05]);
    expect(head.lrSearch!.reduce((n, g) => n + g.picked, 0)).toBe(2);
    const md = readFileSync(join(out.runDir, 'summary.md'), 'utf8');
    expect(md).toContain('| method | kind | trainable params | lr |');
    expect(md).toContain('- full: 0.001: ');
    expect(md).not.toContain('- lora:');

    // One grid job lost: resume reruns it alone, bit for bit, and the summary is unchanged.
    rmSync(lmResultPath(out.runDir, 40, 'full', 1, 0.3));
    const again = await resumeLmExperiment(out.runDir);
    expect(again.ran).toBe(1);
    expect(again.summary).toEqual(out.summary);
  });

  it('question answering: the validation split is scored by SQuAD EM and F1', async () => {
    const dir = tempDir('lr-qa');
    writeTinySquad(dir);
    const methods = `  - { name: full, kind: full, lrGrid: [0.001, 0.01] }`;
    writeFileSync(
      join(dir, 'exp.yaml'),
      tinyQaConfig(methods)
        .replace('seeds: 2', 'seeds: 1')
        .replace('docStride: 6', 'docStride: 6, validationFraction: 0.25'),
    );
    const out = await runLmExperiment(join(dir, 'exp.yaml'), { out: join(dir, 'runs') });
    expect(out.ran).toBe(2);
    const r = lmJobResultSchema.parse(
      JSON.parse(readFileSync(lmResultPath(out.runDir, 40, 'full', 0, 0.01), 'utf8')),
    );
    expect(Object.keys(r.validation!).sort()).toEqual(['exact_match', 'f1', 'loss']);
    expect(r.validation!.f1).toBeGreaterThanOrEqual(0);
    expect(r.validation!.f1).toBeLessThanOrEqual(100);
  });
});
