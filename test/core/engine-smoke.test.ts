import { describe, expect, it } from 'vitest';
import { crossEntropy, Generator, matmul, randn, tensor } from '../../src/index.js';

describe('engine smoke', () => {
  it('trains a linear classifier one step and the loss drops', () => {
    const rng = new Generator(0);
    const x = randn([8, 4], rng);
    const w = randn([3, 4], rng, { requiresGrad: true });
    const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], { dtype: 'int32' });
    const loss0 = crossEntropy(matmul(x, w, { transB: true }), y);
    loss0.backward();
    for (let i = 0; i < w.size; i++) w.data[i] -= 0.5 * w.grad!.data[i];
    const loss1 = crossEntropy(matmul(x, w, { transB: true }), y);
    expect(loss1.item()).toBeLessThan(loss0.item());
  });
});
