import { describe, expect, it } from 'vitest';
import { Adam, Generator, MLP, mseLoss, sin, tensor } from '../../src/index.js';

describe('end to end', () => {
  it('fits y = sin(x) with a 1-32-1 tanh MLP and Adam: loss falls 10x', () => {
    const n = 64;
    const xs = Array.from({ length: n }, (_, i) => -Math.PI + (2 * Math.PI * i) / (n - 1));
    const x = tensor(xs, [n, 1]);
    const y = sin(x);
    const net = new MLP([1, 32, 1], { activation: 'tanh', rng: new Generator(0) });
    const opt = new Adam(net.parameters(), { lr: 0.01 });
    let first = 0;
    let last = 0;
    for (let step = 0; step < 400; step++) {
      opt.zeroGrad();
      const loss = mseLoss(net.forward(x), y);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(first / 10);
  });
});
