import { Generator, memoryScope, mseLoss, randn } from '../src/core/index.js';
import { MLP } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { median, timeRuns } from './harness.js';

/**
 * One training step of the RL-sized MLP (4 -> 64 -> 64 -> 2, tanh), batch 64, MSE, Adam: the
 * workload where per-op overhead, not FLOPs, decides the time. Gradients are zeroed in place
 * (setToNone: false) so the loop reuses its gradient buffers, as a training loop should; the
 * PyTorch twin drops them (set_to_none=True), its fastest setting. Each step runs in a
 * memoryScope, so the op outputs go back to the memory pool and the next step reuses them;
 * `scope: false` runs the same step unscoped (fresh buffers left to the collector), the cost of
 * code that has no scope.
 */
export function runMlpStep(options: { steps?: number; warmup?: number; scope?: boolean }) {
  const rng = new Generator(0);
  const model = new MLP([4, 64, 64, 2], { activation: 'tanh', rng });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([64, 4], rng);
  const y = randn([64, 2], rng);
  let loss = 0;
  const body = (): void => {
    optimizer.zeroGrad({ setToNone: false });
    const l = mseLoss(model.forward(x), y);
    l.backward();
    optimizer.step();
    loss = l.item();
  };
  const step = options.scope === false ? body : (): void => memoryScope(body);
  const samplesMs = timeRuns(step, options.warmup ?? 200, options.steps ?? 2000);
  const samples = samplesMs.map((ms) => ms * 1000);
  return {
    median: median(samples),
    unit: 'us' as const,
    scoped: options.scope !== false,
    samples: subsample(samples),
    finalLoss: loss,
  };
}

/** Keep JSON small: at most 200 evenly spaced samples. */
export function subsample(values: number[], max = 200): number[] {
  if (values.length <= max) return values;
  const stride = values.length / max;
  return Array.from({ length: max }, (_, i) => values[Math.floor(i * stride)]);
}
