/**
 * A tiny end-to-end LM transfer run on generated text (no installed corpora, a few steps): the
 * run folder has every file, each job its result, and a resumed run redoes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lmJobResultSchema,
  lmResultPath,
  resumeLmExperiment,
  runLmExperiment,
  type LmSummary,
} from '../../../src/experiments/lm/index.js';
import { tempDir, tinyConfig, writeTinyCorpus } from './helpers.js';

const CAUSAL = `  - { name: scratch, kind: scratch }
  - { name: full, kind: full }
  - { name: lora, kind: peft, lr: 0.01, peft: { peft_type: LORA, r: 2, target_modules: [c_attn] } }
  - { name: prompt, kind: peft, sizes: [40], peft: { peft_type: PROMPT_TUNING, num_virtual_tokens: 2 } }`;

describe('osmosis lm: a tiny run', () => {
  it('causal LM: writes the run folder, every job, the summary and the plots', async () => {
    const dir = tempDir('causal');
    writeTinyCorpus(dir);
    writeFileSync(join(dir, 'exp.yaml'), tinyConfig('causal-lm', CAUSAL));
    const lines: string[] = [];
    const out = await runLmExperiment(join(dir, 'exp.yaml'), {
      out: join(dir, 'runs'),
      log: (s) => lines.push(s),
    });
    const run = out.runDir;
    for (const f of [
      'config.resolved.yaml',
      'metrics.jsonl',
      'tokenizer/tokenizer.json',
      'pretrained/config.json',
      'pretrained/model.safetensors',
      'summary.json',
      'summary.md',
      'plots/perplexity-vs-steps-n20.svg',
      'plots/perplexity-vs-steps-n40.svg',
      'plots/perplexity-vs-size.svg',
    ]) {
      expect(existsSync(join(run, f)), f).toBe(true);
    }
    // 3 methods x 2 sizes + prompt at one size, x 2 seeds.
    expect(out.ran).toBe(14);
    for (const [size, method, seed] of [
      [20, 'scratch', 0],
      [40, 'lora', 1],
      [40, 'prompt', 0],
    ] as const) {
      const r = lmJobResultSchema.parse(
        JSON.parse(readFileSync(lmResultPath(run, size, method, seed), 'utf8')),
      );
      expect(r.curve.map((p) => p.step)).toEqual([0, 2, 4]);
      expect(r.curve.every((p) => p.metrics.perplexity! > 1)).toBe(true);
      expect(r.frozenChanged).toEqual([]);
    }
    expect(existsSync(lmResultPath(run, 20, 'prompt', 0))).toBe(false);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as LmSummary;
    expect(summary.rows.map((r) => `${r.trainSize}/${r.name}`)).toEqual([
      '20/scratch',
      '20/full',
      '20/lora',
      '40/scratch',
      '40/full',
      '40/lora',
      '40/prompt',
    ]);
    const lora = summary.rows.find((r) => r.name === 'lora')!;
    expect(lora.frozenUnchanged).toBe(true);
    expect(lora.params.trainable).toBeLessThan(lora.params.total / 5);
    expect(lora.final.perplexity!.n).toBe(2);
    const full = summary.rows.find((r) => r.name === 'full')!;
    expect(full.frozenUnchanged).toBeNull();
    expect(full.params.trainable).toBe(full.params.total);
    // Full fine-tuning and LoRA start from the same pretrained model: the same step-0 score.
    expect(full.initial.perplexity!.mean).toBeCloseTo(lora.initial.perplexity!.mean, 4);
    expect(readFileSync(join(run, 'summary.md'), 'utf8')).toContain('| lora | peft |');
    expect(lines.some((l) => l.startsWith('[14/14] n=40 prompt seed 1: step 4/4'))).toBe(true);

    // Resume: everything is kept, the summary is the same.
    const again = await resumeLmExperiment(run);
    expect(again.ran).toBe(0);
    expect(again.skipped).toBe(14);
    expect(again.summary).toEqual(summary);

    // Another config with the same pretraining starts from this run's model: no pretraining.
    const only = `  - { name: full, kind: full }\n  - { name: prompt, kind: peft, sizes: [40], peft: { peft_type: PROMPT_TUNING, num_virtual_tokens: 2 } }`;
    writeFileSync(join(dir, 'reuse.yaml'), tinyConfig('causal-lm', only));
    const reuseLog: string[] = [];
    const reused = await runLmExperiment(join(dir, 'reuse.yaml'), {
      out: join(dir, 'runs'),
      pretrainedFrom: run,
      log: (s) => reuseLog.push(s),
    });
    expect(reuseLog.some((l) => l.startsWith('pretraining:'))).toBe(false);
    expect(readFileSync(join(reused.runDir, 'pretrained/model.safetensors'))).toEqual(
      readFileSync(join(run, 'pretrained/model.safetensors')),
    );
    const fullAgain = reused.summary.rows.find((r) => r.name === 'full' && r.trainSize === 20)!;
    expect(fullAgain.final).toEqual(full.final);
    // ... but not one whose pretraining differs.
    writeFileSync(
      join(dir, 'other.yaml'),
      tinyConfig('causal-lm', only).replace('pretrain: { steps: 3', 'pretrain: { steps: 4'),
    );
    await expect(
      runLmExperiment(join(dir, 'other.yaml'), { out: join(dir, 'runs'), pretrainedFrom: run }),
    ).rejects.toThrow(/its pretrain settings differ/);
  });

  it('classification: scratch, full, head and an adapter, scored by accuracy and macro-F1', async () => {
    const dir = tempDir('cls');
    writeTinyCorpus(dir);
    const methods = `  - { name: scratch, kind: scratch }
  - { name: full, kind: full }
  - { name: head, kind: head, lr: 0.01 }
  - { name: adapter, kind: peft, peft: { peft_type: BOTTLENECK, reduction_factor: 4 } }`;
    writeFileSync(
      join(dir, 'exp.yaml'),
      tinyConfig('classification', methods).replace('trainSizes: [20, 40]', 'trainSizes: [30]'),
    );
    const out = await runLmExperiment(join(dir, 'exp.yaml'), { out: join(dir, 'runs') });
    expect(out.ran).toBe(8);
    expect(out.plots).toEqual(['plots/accuracy-vs-steps-n30.svg']);
    const rows = out.summary.rows;
    expect(rows.map((r) => r.name)).toEqual(['scratch', 'full', 'head', 'adapter']);
    for (const r of rows) {
      expect(r.final.accuracy!.mean).toBeGreaterThanOrEqual(0);
      expect(r.final.accuracy!.mean).toBeLessThanOrEqual(1);
      expect(Number.isFinite(r.final.macro_f1!.mean)).toBe(true);
    }
    const head = rows.find((r) => r.name === 'head')!;
    // A linear head: 16 features x 3 classes, no bias.
    expect(head.params.trainable).toBe(48);
    expect(head.frozenUnchanged).toBe(true);
    expect(rows.find((r) => r.name === 'adapter')!.frozenUnchanged).toBe(true);
  });
});
