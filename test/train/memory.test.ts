/** The Trainer runs each step (and each eval batch) in a memoryScope: no allocation after warm-up. */
import { afterEach, describe, expect, it } from 'vitest';
import { poolStats, resetPoolStats } from '../../src/core/index.js';
import { classificationMetrics, Trainer, type StepInfo } from '../../src/train/index.js';
import { QUIET, tempDir, TinyClassifier, tinyDataset, type TinyExample } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

describe('Trainer and the memory pool', () => {
  it('allocates no new pool buffers after the first steps; eval keeps what it gathers', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const losses: number[] = [];
    let afterWarmup: ReturnType<typeof poolStats> | null = null;
    // dim 256: activations of 4 x 6 x 256 floats, large enough to be pooled.
    const trainer = new Trainer<TinyExample>({
      model: new TinyClassifier(0, 256),
      args: {
        outputDir: t.dir,
        ...QUIET,
        numTrainEpochs: 2,
        perDeviceTrainBatchSize: 4,
        learningRate: 0.01,
        lrSchedulerType: 'constant',
      },
      trainDataset: tinyDataset(16),
      evalDataset: tinyDataset(8, 99),
      computeMetrics: classificationMetrics,
      callbacks: [
        {
          onStepEnd(_a: unknown, state: { globalStep: number }, _c: unknown, info: StepInfo) {
            losses.push(info.loss);
            if (state.globalStep === 2) resetPoolStats();
            if (state.globalStep === 8) afterWarmup = poolStats();
          },
        },
      ],
    });
    await trainer.train();
    expect(losses).toHaveLength(8);
    expect(losses.every(Number.isFinite)).toBe(true);
    const stats = afterWarmup!;
    expect(stats.freshAllocations).toBe(0);
    expect(stats.reused).toBeGreaterThan(6 * 5);
    expect(stats.released).toBe(stats.reused);

    // Eval batches are scoped too: gathered logits survive their batch's scope.
    const first = await trainer.evaluate();
    resetPoolStats();
    const again = await trainer.evaluate();
    expect(poolStats().freshAllocations).toBe(0);
    expect(again.eval_loss).toBe(first.eval_loss);
    expect(again.eval_accuracy).toBe(first.eval_accuracy);
    const { predictions } = trainer.predict(tinyDataset(8, 99));
    expect(predictions!.released).toBe(false);
    expect(predictions!.shape).toEqual([8, 3]);
  });
});
