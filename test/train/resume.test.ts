/**
 * Exact resume: a run interrupted after checkpoint-k and resumed from it takes bitwise the same
 * steps as the uninterrupted run (mid-epoch, with gradient accumulation and dropout), and a
 * process SIGKILLed while writing a checkpoint leaves the previous one loadable.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, Generator } from '../../src/core/index.js';
import { BertForSequenceClassification } from '../../src/models/index.js';
import {
  EarlyStoppingCallback,
  lastCheckpoint,
  listCheckpoints,
  readCheckpoint,
  readJsonl,
  Trainer,
  type LogEntry,
  type StepInfo,
  type TrainerCallback,
  type TrainingArgumentsInput,
} from '../../src/train/index.js';
import { killArgs } from './fixtures/kill-config.js';
import {
  sameBits,
  snapshot,
  tempDir,
  TinyClassifier,
  tinyDataset,
  type TinyExample,
} from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
function outDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

class StepRecorder implements TrainerCallback {
  steps = new Map<number, StepInfo>();
  onStepEnd(_a: unknown, state: { globalStep: number }, _c: unknown, info: StepInfo): void {
    this.steps.set(state.globalStep, info);
  }
}

/** Interrupts the run by throwing at the end of step `at` (after earlier checkpoints). */
class Crash implements TrainerCallback {
  constructor(readonly at: number) {}
  onStepEnd(_a: unknown, state: { globalStep: number }): void {
    if (state.globalStep === this.at) throw new Error(`simulated crash at step ${this.at}`);
  }
}

const bertConfig = {
  vocab_size: 12,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 16,
  max_position_embeddings: 8,
  num_labels: 3,
  hidden_dropout_prob: 0.2, // dropout on: its generator must be checkpointed too
};

function bertRun(outputDir: string, seed: number, extra: Partial<TrainingArgumentsInput> = {}) {
  const rng = new Generator(seed);
  const model = new BertForSequenceClassification(bertConfig, { rng });
  const rec = new StepRecorder();
  const early = new EarlyStoppingCallback({ earlyStoppingPatience: 100 });
  const trainer = new Trainer<TinyExample>({
    model,
    args: {
      outputDir,
      // 10 examples / batch 2 = 5 batches; accumulation 2 -> 3 steps per epoch (2, 2, 1).
      maxSteps: 8,
      perDeviceTrainBatchSize: 2,
      gradientAccumulationSteps: 2,
      learningRate: 0.01,
      warmupSteps: 2,
      weightDecay: 0.01,
      saveStrategy: 'steps',
      saveSteps: 2,
      loggingSteps: 1,
      evalStrategy: 'epoch',
      metricForBestModel: 'loss',
      disableProgressBar: true,
      ...extra,
    },
    trainDataset: tinyDataset(10),
    evalDataset: tinyDataset(4, 5),
    callbacks: [rec, early],
    generators: { dropout: rng },
  });
  return { model, trainer, rec, early };
}

/** Log entries without wall-clock fields. */
const timeless = (h: readonly LogEntry[] | Record<string, unknown>[]) =>
  h.map((e) =>
    Object.fromEntries(Object.entries(e).filter(([k]) => !/runtime|per_second|^time$/.test(k))),
  );

describe('exact resume', () => {
  it('resumes mid-epoch with accumulation and dropout bitwise', async () => {
    const full = bertRun(outDir(), 1);
    await full.trainer.train();
    expect(full.rec.steps.size).toBe(8);

    // Interrupted after checkpoint-4 (epoch 1, one step into it), during step 5.
    const dir = outDir();
    const first = bertRun(dir, 1, {});
    first.trainer.addCallback(new Crash(5));
    await expect(first.trainer.train()).rejects.toThrow(/simulated crash/);
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([2, 4]);

    // A fresh process would build the model from another seed: everything must come from disk.
    const resumed = bertRun(dir, 777);
    const out = await resumed.trainer.train({ resumeFromCheckpoint: true });
    expect(out.globalStep).toBe(8);
    expect([...resumed.rec.steps.keys()]).toEqual([5, 6, 7, 8]);
    for (const [step, info] of resumed.rec.steps) {
      expect(info).toEqual(full.rec.steps.get(step)); // loss, lr, grad norm: bitwise
    }
    expect(sameBits(snapshot(resumed.model), snapshot(full.model))).toBe(true);
    expect(out.trainingLoss).toBe([...full.rec.steps.values()].reduce((a, s) => a + s.loss, 0) / 8);
    expect(timeless(resumed.trainer.state.logHistory)).toEqual(
      timeless(full.trainer.state.logHistory),
    );
    // metrics.jsonl was cut back to the checkpoint and continued: same events as the full run.
    const lines = (d: string) =>
      timeless(readJsonl(join(d, 'metrics.jsonl')).filter((l) => l.event !== 'train_end'));
    expect(lines(dir)).toEqual(lines(full.trainer.args.outputDir));
    expect(resumed.early.patienceCounter).toBe(full.early.patienceCounter);
  });

  it('resumes at an epoch boundary: the epoch-end evaluation runs once', async () => {
    const full = bertRun(outDir(), 2);
    await full.trainer.train();
    // checkpoint-6 is saved at the last step of epoch 1, before that epoch's evaluation.
    const resumed = bertRun(outDir(), 99);
    await resumed.trainer.train({
      resumeFromCheckpoint: join(full.trainer.args.outputDir, 'checkpoint-6'),
    });
    expect([...resumed.rec.steps.keys()]).toEqual([7, 8]);
    expect(sameBits(snapshot(resumed.model), snapshot(full.model))).toBe(true);
    expect(timeless(resumed.trainer.state.logHistory)).toEqual(
      timeless(full.trainer.state.logHistory),
    );
    const evalSteps = resumed.trainer.state.logHistory
      .filter((e) => 'eval_loss' in e)
      .map((e) => e.step);
    expect(evalSteps).toEqual([3, 6, 8]);
  });

  it('refuses a checkpoint whose generators do not match, before changing anything', async () => {
    const full = bertRun(outDir(), 3, { maxSteps: 2 });
    await full.trainer.train();
    const model = new TinyClassifier(0);
    const before = snapshot(model);
    const other = new Trainer<TinyExample>({
      model,
      args: { outputDir: outDir(), maxSteps: 4, disableProgressBar: true },
      trainDataset: tinyDataset(10),
    });
    await expect(
      other.train({ resumeFromCheckpoint: join(full.trainer.args.outputDir, 'checkpoint-2') }),
    ).rejects.toThrow(CheckpointError);
    expect(sameBits(snapshot(model), before)).toBe(true);
  });

  it('resumeFromCheckpoint: true without a checkpoint is an error', async () => {
    const trainer = new Trainer<TinyExample>({
      model: new TinyClassifier(0),
      args: { outputDir: outDir(), maxSteps: 2, disableProgressBar: true },
      trainDataset: tinyDataset(4),
    });
    await expect(trainer.train({ resumeFromCheckpoint: true })).rejects.toThrow(
      /no valid checkpoint/,
    );
  });
});

const CHILD = fileURLToPath(new URL('./fixtures/kill-child.ts', import.meta.url));

function runChild(
  outputDir: string,
  killStep: number,
  stage: string,
): Promise<{ signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, outputDir, String(killStep), stage],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (_code, signal) => resolve({ signal, stderr }));
  });
}

describe('SIGKILL while writing a checkpoint', () => {
  it('leaves the previous checkpoint loadable and resumable, and no partial checkpoint', async () => {
    // The uninterrupted reference, in this process.
    const reference = new Trainer<TinyExample>({
      model: new TinyClassifier(0),
      args: killArgs(outDir()),
      trainDataset: tinyDataset(10),
    });
    const refLosses: number[] = [];
    reference.addCallback({ onStepEnd: (_a, _s, _c, info) => refLosses.push(info.loss) });
    await reference.train();
    const refWeights = snapshot(reference.model);

    const cases = [
      ['model', 2], // killed after model.safetensors of checkpoint-4 was written
      ['state', 2], // killed after every file and the 'save' line, before the rename
      ['renamed', 4], // killed right after the rename: checkpoint-4 is complete
    ] as const;
    // The children run side by side; each is checked and resumed in turn below.
    const dirs = cases.map(() => outDir());
    const results = await Promise.all(cases.map(([stage], i) => runChild(dirs[i]!, 4, stage)));
    for (const [i, [stage, expected]] of cases.entries()) {
      const dir = dirs[i]!;
      const { signal, stderr } = results[i]!;
      expect(signal, stderr).toBe('SIGKILL');
      expect(listCheckpoints(dir).map((c) => c.step)).toEqual(expected === 2 ? [2] : [2, 4]);
      const latest = await lastCheckpoint(dir);
      expect(latest).toBe(join(dir, `checkpoint-${expected}`));
      await readCheckpoint(latest!); // every file of it reads back valid
      if (stage !== 'renamed') {
        expect(readdirSync(dir).some((f) => f.startsWith('.checkpoint-4.tmp-'))).toBe(true);
      }

      const model = new TinyClassifier(5);
      const resumed = new Trainer<TinyExample>({
        model,
        args: killArgs(dir),
        trainDataset: tinyDataset(10),
      });
      const losses: number[] = [];
      resumed.addCallback({ onStepEnd: (_a, _s, _c, info) => losses.push(info.loss) });
      await resumed.train({ resumeFromCheckpoint: true });
      expect(losses).toEqual(refLosses.slice(expected));
      expect(sameBits(snapshot(model), refWeights)).toBe(true);
      // metrics.jsonl was cut back to the checkpoint: the same events as the reference run.
      const events = (d: string) =>
        timeless(readJsonl(join(d, 'metrics.jsonl')).filter((l) => l.event !== 'train_end'));
      expect(events(dir)).toEqual(events(reference.args.outputDir));
      // The dead process's temporary directory was cleaned up; checkpoint-4 is now whole.
      expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
      expect(existsSync(join(dir, 'checkpoint-4', 'trainer_state.json'))).toBe(true);
    }
  }, 120_000);
});
