import { describe, expect, it } from 'vitest';
import { Generator, mseLoss, randn, zeroGradInPlace, type Tensor } from '../../src/core/index.js';
import { MLP } from '../../src/nn/index.js';
import { SGD } from '../../src/optim/index.js';

const grads = (ps: Tensor[]) => ps.map((p) => Float32Array.from(p.grad!.data));

describe('gradients zeroed in place', () => {
  const rng = new Generator(4);
  const x = randn([5, 3], rng);
  const y = randn([5, 2], rng);
  const net = new MLP([3, 4, 2], { rng: new Generator(2) });
  const ps = net.parameters();
  const pass = () => mseLoss(net.forward(x), y).backward();
  pass();
  const once = grads(ps);

  it('receive the next gradient as is, then accumulate the ones after it', () => {
    const opt = new SGD(ps, { lr: 0 });
    opt.zeroGrad({ setToNone: false });
    const buffers = ps.map((p) => p.grad);
    pass();
    expect(grads(ps)).toEqual(once);
    pass();
    grads(ps).forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(2 * once[i][j], 5)));
    net.zeroGrad({ setToNone: false });
    pass();
    expect(grads(ps)).toEqual(once);
    // The same buffers throughout: zeroing in place keeps them.
    ps.forEach((p, i) => expect(p.grad).toBe(buffers[i]));
  });

  it('add to whatever was written into them after a backward', () => {
    net.zeroGrad({ setToNone: false });
    pass();
    ps[0].grad!.data.fill(1); // written after the backward that used the zeros
    pass();
    ps[0].grad!.data.forEach((v, j) => expect(v).toBeCloseTo(1 + once[0][j], 5));
  });

  it('are zeros until the backward', () => {
    const t = ps[1].grad!;
    t.data.fill(3);
    zeroGradInPlace(t);
    expect([...t.data].every((v) => v === 0)).toBe(true);
  });
});
