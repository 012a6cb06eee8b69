import { describe, expect, it } from 'vitest';
import { add, Generator, mul, randn, sum } from '../../../src/index.js';

// backward() recycles the gradient buffers it allocates. A backward may return one buffer for
// several inputs (add returns [g, g]); recycling the copy meant for an input that needs no
// gradient must not free the copy another input still needs (found by a LoRA run whose frozen
// base sits on one side of an add).
describe('backward recycling with inputs that need no gradient', () => {
  it('add(frozen, trainable): the trainable side still gets its gradient', () => {
    const rng = new Generator(3);
    const frozen = randn([64, 64], rng);
    const trainable = randn([64, 64], rng);
    trainable.requiresGrad = true;
    const c = randn([64, 64], rng);
    sum(mul(add(frozen, trainable), c)).backward();
    expect(trainable.grad).not.toBeNull();
    expect(Array.from(trainable.grad!.data)).toEqual(Array.from(c.data));
  });

  it('add(trainable, frozen) and a repeated step give the same gradient', () => {
    const rng = new Generator(4);
    const trainable = randn([32, 48], rng);
    trainable.requiresGrad = true;
    const frozen = randn([32, 48], rng);
    const c = randn([32, 48], rng);
    for (let step = 0; step < 3; step++) {
      trainable.grad = null;
      sum(mul(add(trainable, frozen), c)).backward();
      expect(Array.from(trainable.grad!.data)).toEqual(Array.from(c.data));
    }
  });
});
