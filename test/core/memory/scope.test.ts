import { describe, expect, it } from 'vitest';
import {
  crossEntropy,
  Generator,
  keep,
  matmul,
  memoryScope,
  poolStats,
  ReleasedTensorError,
  reshape,
  resetPoolStats,
  softmax,
  sum,
  Tensor,
  tensor,
} from '../../../src/index.js';
import { GPT2LMHeadModel } from '../../../src/models/gpt2/index.js';
import { Adam } from '../../../src/optim/index.js';

const randn = (rng: Generator, shape: number[]) => {
  const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return tensor(data, shape);
};

describe('memoryScope', () => {
  it('releases what ops allocated inside it; reading a released tensor throws', () => {
    const rng = new Generator(1);
    const a = randn(rng, [64, 64]);
    let inner: Tensor | null = null;
    const kept = memoryScope(() => {
      inner = softmax(matmul(a, a), -1);
      return sum(inner);
    });
    expect(inner!.released).toBe(true);
    expect(() => inner!.data).toThrow(ReleasedTensorError);
    expect(() => reshape(inner!, [4096])).toThrow(/memoryScope/);
    expect(kept.released).toBe(false);
    expect(Number.isFinite(kept.item())).toBe(true);
    expect(a.released).toBe(false); // made outside the scope
  });

  it('keeps returned tensors (in arrays and objects) and keep()s, and reuses the rest', () => {
    const rng = new Generator(2);
    const a = randn(rng, [64, 64]);
    const expected = matmul(a, a).data.slice();
    const { out, list } = memoryScope(() => ({ out: matmul(a, a), list: [softmax(a, -1)] }));
    const view = memoryScope(() => reshape(keep(matmul(a, a)), [4096]));
    // Allocations after the scopes reuse their released buffers, so kept ones must not be among them.
    memoryScope(() => {
      for (let i = 0; i < 4; i++) matmul(a, a).data.fill(i);
    });
    expect(out.data).toEqual(expected);
    expect(view.data).toEqual(expected);
    expect(list[0].released).toBe(false);
  });

  it('hands a kept tensor to the enclosing scope, which releases it', () => {
    const a = randn(new Generator(3), [64, 64]);
    let inner: Tensor | null = null;
    memoryScope(() => {
      inner = memoryScope(() => matmul(a, a));
      expect(inner.released).toBe(false);
    });
    expect(inner!.released).toBe(true);
  });

  it('leaves buffers unreleased when fn throws', () => {
    const a = randn(new Generator(4), [64, 64]);
    let inner: Tensor | null = null;
    expect(() =>
      memoryScope(() => {
        inner = matmul(a, a);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inner!.released).toBe(false);
  });

  it('a GPT training step allocates no new storage after the first step, with identical results', () => {
    const train = (scoped: boolean): number[] => {
      const rng = new Generator(0);
      const model = new GPT2LMHeadModel(
        { vocab_size: 64, n_positions: 16, n_embd: 32, n_layer: 2, n_head: 2, n_inner: 64 },
        { rng },
      );
      const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
      const ids = new Int32Array(4 * 16).map(() => rng.int(64));
      const targets = new Int32Array(4 * 16).map(() => rng.int(64));
      const inputIds = new Tensor(ids, [4, 16]);
      const labels = new Tensor(targets, [64]);
      const losses: number[] = [];
      const step = () => {
        optimizer.zeroGrad();
        const { logits } = model.forward({ inputIds });
        const loss = crossEntropy(reshape(logits, [64, 64]), labels);
        loss.backward();
        optimizer.step();
        losses.push(loss.item());
      };
      for (let i = 0; i < 4; i++) {
        if (i === 1) resetPoolStats();
        if (scoped) memoryScope(step);
        else step();
      }
      return losses;
    };
    const plain = train(false);
    const pooled = train(true);
    const stats = poolStats();
    expect(stats.freshAllocations).toBe(0);
    expect(stats.freshBytes).toBe(0);
    expect(stats.reused).toBeGreaterThan(50);
    expect(stats.released).toBe(stats.reused);
    expect(pooled).toEqual(plain);
    expect(pooled[3]).toBeLessThan(pooled[0]);
  });
});

describe('backward and the memory pool', () => {
  it('reuses its own consumed gradient buffers, never activations, the seed or .grads', () => {
    const rng = new Generator(5);
    const w = randn(rng, [64, 64]).requiresGrad_();
    const x = randn(rng, [64, 64]);
    const acts = [x];
    for (let i = 0; i < 6; i++) acts.push(softmax(matmul(acts[acts.length - 1], w), -1));
    const seed = randn(rng, [64, 64]);
    const seedCopy = seed.data.slice();
    const actCopies = acts.map((a) => a.data.slice());
    resetPoolStats();
    acts[acts.length - 1].backward(seed);
    const first = w.grad!.data.slice();
    expect(poolStats().reused).toBeGreaterThan(0);
    expect(seed.data).toEqual(seedCopy);
    acts.forEach((a, i) => expect(a.data).toEqual(actCopies[i]));
    // A second pass accumulates into .grad (an allocation of this pass that it must not reuse).
    acts[acts.length - 1].backward(seed);
    const g = w.grad!;
    matmul(x, x); // would land in a wrongly released buffer
    expect(g.released).toBe(false);
    expect(g.data).toEqual(first.map((v) => 2 * v));
  });
});
