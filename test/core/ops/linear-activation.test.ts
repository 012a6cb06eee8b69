import { describe, expect, it } from 'vitest';
import {
  allocatedTensorBytes,
  Generator,
  gradcheck,
  linear,
  linearActivation,
  MLP,
  mseLoss,
  randn,
  relu,
  sigmoid,
  sum,
  tanh,
  ValueError,
  type FusedActivation,
  type Tensor,
} from '../../../src/index.js';

const unfused: Record<FusedActivation, (x: Tensor) => Tensor> = { tanh, sigmoid, relu };

describe('linearActivation (linear with the activation written in place)', () => {
  const rng = new Generator(11);

  it.each(['tanh', 'sigmoid', 'relu'] as const)(
    '%s: the same values and gradients as the unfused pair, bit for bit',
    (act) => {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [xs, withBias, layout] of [
          [[6, 5], true, 'outIn'],
          [[2, 3, 5], false, 'outIn'],
          [[4, 5], true, 'inOut'],
        ] as const) {
          const opts = { dtype, requiresGrad: true };
          const x = randn(xs, rng, opts);
          const w = randn(layout === 'outIn' ? [3, 5] : [5, 3], rng, opts);
          const b = withBias ? randn([3], rng, opts) : null;
          const options = { weightLayout: layout };
          const fused = linearActivation(x, w, b, act, options);
          const ref = unfused[act](linear(x, w, b, options));
          expect(Array.from(fused.data)).toEqual(Array.from(ref.data));
          const grads = (y: Tensor) => {
            for (const t of [x, w, b]) if (t) t.grad = null;
            sum(y).backward();
            return [x, w, b].map((t) => (t ? Array.from(t.grad!.data) : null));
          };
          expect(grads(fused)).toEqual(grads(ref));
        }
      }
    },
  );

  it.each(['tanh', 'sigmoid', 'relu'] as const)('%s passes gradcheck in float64', (act) => {
    const f64 = { dtype: 'float64' as const, requiresGrad: true };
    const x = randn([4, 3], rng, f64);
    const w = randn([2, 3], rng, f64);
    const b = randn([2], rng, f64);
    expect(gradcheck((xx, ww, bb) => linearActivation(xx, ww, bb, act), [x, w, b]).ok).toBe(true);
  });

  it('rejects an activation that needs its input for the gradient', () => {
    const x = randn([2, 3], rng);
    const w = randn([2, 3], rng);
    expect(() => linearActivation(x, w, null, 'gelu' as FusedActivation)).toThrow(ValueError);
    expect(() => linearActivation(x, w, null, 'gelu' as FusedActivation)).toThrow(
      /linearActivation: activation must be one of tanh, sigmoid, relu, got 'gelu'/,
    );
  });

  it('MLP.forward fuses its pairs and matches the layer-by-layer chain', () => {
    for (const activation of ['tanh', 'relu', 'sigmoid', 'gelu'] as const) {
      const net = new MLP([4, 8, 8, 2], { activation, rng: new Generator(5) });
      const x = randn([7, 4], rng);
      const y = randn([7, 2], rng);
      const run = (forward: (x: Tensor) => Tensor) => {
        net.zeroGrad();
        const loss = mseLoss(forward(x), y);
        loss.backward();
        return [loss.item(), ...[...net.parameters()].map((p) => Array.from(p.grad!.data))];
      };
      const chain = (h: Tensor) => {
        for (const m of net) h = (m as unknown as { forward(t: Tensor): Tensor }).forward(h);
        return h;
      };
      expect(run((h) => net.forward(h))).toEqual(run(chain));
      // The fused pairs skip the pre-activation buffers (two hidden layers of 7 x 8 floats).
      const bytes = (forward: (x: Tensor) => Tensor) => {
        const before = allocatedTensorBytes();
        forward(x);
        return allocatedTensorBytes() - before;
      };
      const saved = activation === 'gelu' ? 0 : 2 * 7 * 8 * 4;
      expect(bytes(chain) - bytes((h) => net.forward(h))).toBe(saved);
    }
  });
});
