import { describe, expect, it } from 'vitest';
import {
  Adam,
  allocatedTensorBytes,
  Generator,
  MLP,
  mseLoss,
  randn,
  type Tensor,
} from '../../src/index.js';

/**
 * "Training loops must not churn the garbage collector": with zeroGrad({ setToNone: false }) the
 * RL-sized MLP loop keeps its gradient and optimizer buffers across steps, and the tensor bytes
 * it allocates per step stop growing after warm-up (only the activations of each step remain).
 */
describe('MLP training loop buffer reuse', () => {
  const setup = () => {
    const rng = new Generator(3);
    const model = new MLP([4, 64, 64, 2], { activation: 'tanh', rng });
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const x = randn([64, 4], rng);
    const y = randn([64, 2], rng);
    const params = [...model.parameters()];
    /** Runs one step; returns the tensor bytes it allocated. */
    const step = (setToNone: boolean): number => {
      const before = allocatedTensorBytes();
      opt.zeroGrad({ setToNone });
      const loss = mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
      return allocatedTensorBytes() - before;
    };
    return { opt, params, step };
  };

  it('keeps every .grad and every Adam buffer, by identity, across steps', () => {
    const { opt, params, step } = setup();
    for (let i = 0; i < 3; i++) step(false);
    const snapshot = (p: Tensor) => {
      const st = opt.state.get(p)!;
      return [p.grad, p.grad!.data, p.data, st.expAvg, st.expAvgSq];
    };
    const before = params.map(snapshot);
    for (let i = 0; i < 5; i++) step(false);
    params.forEach((p, i) => {
      const now = snapshot(p);
      now.forEach((v, j) => expect(v, `param ${i}, item ${j}`).toBe(before[i][j]));
    });
  });

  it('allocates the same bytes every step after warm-up, none of them for gradients', () => {
    const { params, step } = setup();
    const paramBytes = params.reduce((s, p) => s + 4 * p.size, 0);
    for (let i = 0; i < 3; i++) step(false);
    const reuse = Array.from({ length: 5 }, () => step(false));
    expect(new Set(reuse).size).toBe(1);
    const dropping = Array.from({ length: 3 }, () => step(true));
    // Dropping the gradients costs at least one fresh copy of every parameter's gradient.
    for (const bytes of dropping) expect(bytes).toBeGreaterThanOrEqual(reuse[0] + paramBytes);
  });
});
