import { describe, expect, it } from 'vitest';
import { add, full, linear, memoryScope, sum, tensor, zeros } from '../../../src/index.js';

// With no input features the output is the bias alone. linear skips the zero fill where a GEMM
// overwrites every element, so this case must not read stale pooled memory.
describe('linear with zero input features', () => {
  it('returns the bias in every row, and its gradient counts the rows', () => {
    memoryScope(() => {
      add(full([64, 4], 5), 0); // leave non-zero buffers in the pool
      add(full([64, 4], 5), 0);
    });
    const bias = tensor([1, -2, 3, 0.5], [4], { requiresGrad: true });
    const y = linear(zeros([64, 0]), zeros([4, 0]), bias);
    expect(y.shape).toEqual([64, 4]);
    for (let r = 0; r < 64; r++) {
      expect(Array.from(y.data.subarray(r * 4, r * 4 + 4))).toEqual([1, -2, 3, 0.5]);
    }
    sum(y).backward();
    expect(Array.from(bias.grad!.data)).toEqual([64, 64, 64, 64]);
  });

  it('is all zeros without a bias', () => {
    memoryScope(() => add(full([8, 3], 7), 0));
    const y = linear(zeros([8, 0]), zeros([3, 0]));
    expect(Array.from(y.data)).toEqual(new Array(24).fill(0));
  });
});
