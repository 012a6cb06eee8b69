import { describe, expect, it } from 'vitest';
import { add, Generator, mul, randn, sum, tanh } from '../../../src/index.js';

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

  it("add(x, y) after x already got a gradient: y still receives add's gradient", () => {
    const rng = new Generator(1);
    const x = randn([64, 64], rng);
    x.requiresGrad = true;
    const y = randn([64, 64], rng);
    y.requiresGrad = true;
    sum(mul(add(x, y), x)).backward();
    // d/dy sum((x + y) * x) = x
    expect(Array.from(y.grad!.data)).toEqual(Array.from(x.data));
  });

  it('a long skip connection: sum(x + tanh(x) + x)', () => {
    const x = randn([32, 64], new Generator(7));
    x.requiresGrad = true;
    const t = tanh(x);
    sum(add(add(x, t), x)).backward();
    const td = t.data;
    const gd = x.grad!.data;
    // d/dx = 2 + (1 - tanh(x)^2)
    for (let i = 0; i < x.size; i++) expect(gd[i]).toBeCloseTo(3 - td[i] * td[i], 5);
  });
});
