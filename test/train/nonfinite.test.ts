/** A NaN/Inf loss or gradient is reported with its step, and the weights are left untouched. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { add, mul, NonFiniteError, sum, type Tensor } from '../../src/core/index.js';
import {
  readJsonl,
  Trainer,
  type Batch,
  type TrainingArgumentsInput,
} from '../../src/train/index.js';
import { sameBits, snapshot, tempDir, TinyClassifier, tinyDataset } from './helpers.js';
import type { TinyExample } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** Poisons its `at`-th training forward: a NaN loss, or a finite loss with a NaN gradient. */
class Poisoned extends TinyClassifier {
  calls = 0;
  constructor(
    readonly at: number,
    readonly kind: 'loss' | 'gradient',
  ) {
    super(0);
  }

  override forward(inputs: Batch): { logits: Tensor; loss?: Tensor } {
    const out = super.forward(inputs);
    if (!this.training || !out.loss) return out;
    this.calls += 1;
    if (this.calls !== this.at) return out;
    if (this.kind === 'loss') return { ...out, loss: mul(out.loss, NaN) };
    // sqrt at 0 is finite, its derivative is not: 0 * Inf poisons the head bias gradient.
    const zero = sum(mul(this.head.bias!, 0)).sqrt();
    return { ...out, loss: add(out.loss, mul(zero, 0)) };
  }
}

function setup(kind: 'loss' | 'gradient', args: Partial<TrainingArgumentsInput> = {}) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  // Accumulation 2: the 5th micro-batch is the first of optimizer step 3.
  const model = new Poisoned(5, kind);
  const trainer = new Trainer<TinyExample>({
    model,
    args: {
      outputDir: t.dir,
      maxSteps: 6,
      perDeviceTrainBatchSize: 2,
      gradientAccumulationSteps: 2,
      learningRate: 0.05,
      loggingSteps: 1,
      saveStrategy: 'no',
      disableProgressBar: true,
      ...args,
    },
    trainDataset: tinyDataset(16),
  });
  let afterStep2: Map<string, ArrayLike<number>> | null = null;
  trainer.addCallback({
    onStepEnd: (_a, state) => {
      if (state.globalStep === 2) afterStep2 = snapshot(model);
    },
  });
  return { model, trainer, afterStep2: () => afterStep2! };
}

describe('non-finite losses and gradients', () => {
  it('a NaN loss throws NonFiniteError naming the step; the weights stay as after the step before', async () => {
    const { model, trainer, afterStep2 } = setup('loss');
    const err = await trainer.train().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(/non-finite loss NaN at step 3\b/);
    expect((err as Error).message).toMatch(/micro-batch 1 of 2/);
    expect((err as Error).cause).toBeInstanceOf(NonFiniteError); // assertFiniteLoss's error
    expect(trainer.state.globalStep).toBe(2);
    expect(sameBits(snapshot(model), afterStep2())).toBe(true);
    // The optimizer took exactly two steps and no gradient is left behind.
    for (const [, st] of trainer.optimizer!.state) expect(st.step).toBe(2);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('a finite loss with a NaN gradient throws naming the step, weights untouched', async () => {
    const { model, trainer, afterStep2 } = setup('gradient');
    await expect(trainer.train()).rejects.toThrow(/non-finite gradient at step 3\b/);
    expect(sameBits(snapshot(model), afterStep2())).toBe(true);
  });

  it("onNonFinite 'skip' drops the step's update, logs it, and trains on", async () => {
    const { model, trainer, afterStep2 } = setup('loss', { onNonFinite: 'skip' });
    let afterStep3: Map<string, ArrayLike<number>> | null = null;
    trainer.addCallback({
      onStepEnd: (_a, state, _c, info) => {
        if (state.globalStep === 3) {
          afterStep3 = snapshot(model);
          expect(info.applied).toBe(false);
        }
      },
    });
    const out = await trainer.train();
    expect(out.globalStep).toBe(6);
    expect(sameBits(afterStep3!, afterStep2())).toBe(true);
    expect(sameBits(snapshot(model), afterStep2())).toBe(false);
    const events = readJsonl(join(trainer.args.outputDir, 'metrics.jsonl'));
    const bad = events.filter((e) => e.event === 'nonfinite');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ step: 3, what: 'loss NaN' });
    // The skipped step is not averaged into the logged losses.
    expect(events.filter((e) => e.event === 'log').map((e) => e.step)).toEqual([1, 2, 4, 5, 6]);
    expect(Number.isFinite(out.trainingLoss)).toBe(true);
  });
});
