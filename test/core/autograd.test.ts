import { describe, expect, it } from 'vitest';
import {
  add,
  AutogradError,
  backward,
  customOp,
  DTypeError,
  enableGrad,
  exp,
  gradcheck,
  isGradEnabled,
  mul,
  noGrad,
  ones,
  scale,
  ShapeError,
  sum,
  tanh,
  Tensor,
  tensor,
  ValueError,
} from '../../src/index.js';

const f64 = (values: number[], shape = [values.length], requiresGrad = true) =>
  tensor(new Float64Array(values), shape, { requiresGrad });

describe('autograd', () => {
  it('accumulates gradients across two backward calls until zeroGrad', () => {
    const x = f64([1, 2, 3]);
    sum(mul(x, x)).backward();
    sum(mul(x, x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    sum(x).backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1, 1]);
  });

  it('noGrad records nothing; enableGrad re-enables inside it; both restore on throw', () => {
    const x = f64([1, 2]);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => mul(x, x));
      expect(inner.requiresGrad).toBe(true);
      return mul(x, x);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expect(() => sum(y).backward()).toThrow(AutogradError);
  });

  it('detach shares data and cuts the graph', () => {
    const x = f64([1, 2]);
    const d = mul(x, 3).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    const y = sum(mul(x, d));
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 6]); // d treated as a constant
    const e = x.detach();
    expect(e.data).toBe(x.data);
  });

  it('retainGrad keeps the gradient of a non-leaf; other non-leaves keep none', () => {
    const x = f64([1, 2]);
    const h = mul(x, 2).retainGrad();
    const k = mul(h, h);
    sum(k).backward();
    expect(Array.from(h.grad!.data)).toEqual([4, 8]); // d sum(h^2)/dh = 2h
    expect(k.grad).toBeNull();
    expect(Array.from(x.grad!.data)).toEqual([8, 16]);
  });

  it('sums the gradients of a diamond (x used on two paths)', () => {
    const x = f64([0.5, -1]);
    const a = exp(x);
    const b = tanh(x);
    sum(mul(a, b)).backward();
    // d/dx e^x tanh x = e^x tanh x + e^x (1 - tanh^2 x)
    x.data.forEach((v, i) => {
      const t = Math.tanh(v);
      expect(x.grad!.data[i]).toBeCloseTo(Math.exp(v) * (t + 1 - t * t), 12);
    });
    const y = f64([3]);
    sum(add(y, y)).backward();
    expect(y.grad!.data[0]).toBe(2);
  });

  it('handles a chain of 10,000 ops without overflowing the stack', () => {
    const x = f64([1]);
    let y: Tensor = x;
    for (let i = 0; i < 10_000; i++) y = scale(y, 1.0001);
    sum(y).backward();
    expect(x.grad!.data[0]).toBeCloseTo(1.0001 ** 10_000, 6);
  });

  it('backward on a non-scalar without a gradient is an AutogradError', () => {
    const y = mul(f64([1, 2]), 2);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(
      /backward: gradient can be implicit only for scalar outputs; got shape \[2\]/,
    );
  });

  it('backward with a gradient of the wrong shape is a ShapeError', () => {
    const y = mul(f64([1, 2]), 2);
    expect(() => y.backward(f64([1, 1, 1], [3], false))).toThrow(ShapeError);
    expect(() => y.backward(f64([1, 1, 1], [3], false))).toThrow(
      /backward: gradient shape \[3\] does not match tensor shape \[2\]/,
    );
  });

  it('backward with a gradient of another dtype is a DTypeError', () => {
    const y = mul(f64([1, 2]), 2);
    expect(() => y.backward(ones([2]))).toThrow(
      /backward: gradient dtype float32 does not match tensor dtype float64/,
    );
  });

  it('backward on a tensor outside any graph is an AutogradError', () => {
    expect(() => backward(f64([1], [1], false))).toThrow(/backward: .* does not require grad/);
  });

  it('a vector-Jacobian product with an explicit gradient', () => {
    const x = f64([1, 2, 3]);
    mul(x, x).backward(f64([1, 0, -1], [3], false));
    expect(Array.from(x.grad!.data)).toEqual([2, 0, -6]);
  });

  it('leaf gradients never share storage with each other or with the seed', () => {
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    const seed = f64([1, 1], [2], false);
    add(a, b).backward(seed);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    expect(a.grad!.data).not.toBe(seed.data);
    a.grad!.data[0] = 100; // an in-place update (clipping, say) of one gradient
    expect(b.grad!.data[0]).toBe(1);
    expect(seed.data[0]).toBe(1);
    const leaf = f64([5]);
    const g = f64([2], [1], false);
    leaf.backward(g);
    expect(leaf.grad!.data).not.toBe(g.data);
  });

  it('customOp: a fused op from forward/backward, gradchecked', () => {
    // f(x, y) = x * sigmoid(y), fused
    const fused = customOp<{ s?: Tensor; x?: Tensor }>({
      name: 'mulSigmoid',
      forward(ctx, x, y) {
        const s = new Tensor(
          y.data.map((v) => 1 / (1 + Math.exp(-v))),
          y.shape,
        );
        ctx.s = s;
        ctx.x = x;
        return new Tensor(
          x.data.map((v, i) => v * s.data[i]),
          x.shape,
        );
      },
      backward(ctx, g) {
        const { s, x } = ctx as { s: Tensor; x: Tensor };
        const dx = new Tensor(
          g.data.map((v, i) => v * s.data[i]),
          g.shape,
        );
        const dy = new Tensor(
          g.data.map((v, i) => v * x.data[i] * s.data[i] * (1 - s.data[i])),
          g.shape,
        );
        return [dx, dy];
      },
    });
    const x = f64([0.3, -1.2, 2]);
    const y = f64([1, 0.5, -0.7]);
    const out = fused(x, y);
    expect(out.gradFn!.op).toBe('mulSigmoid');
    expect(gradcheck(fused, [x, y]).ok).toBe(true);
  });

  it('customOp: returning an input, or a gradient of the wrong shape, is an AutogradError', () => {
    const identity = customOp({ name: 'bad', forward: (_ctx, x) => x, backward: (_ctx, g) => [g] });
    expect(() => identity(f64([1]))).toThrow(/customOp 'bad': forward must return a new tensor/);
    const wrong = customOp({
      name: 'wrongGrad',
      forward: (_ctx, x) => x.clone(),
      backward: () => [f64([1, 2], [2], false)],
    });
    expect(() => sum(wrong(f64([1, 2, 3]))).backward()).toThrow(
      /backward of 'wrongGrad': gradient for input 0 has shape \[2\], expected \[3\]/,
    );
  });

  it('requiresGrad on int32 is a DTypeError', () => {
    expect(() => tensor([1], [1], { dtype: 'int32', requiresGrad: true })).toThrow(DTypeError);
    expect(() => tensor([1], [1], { dtype: 'int32' }).requiresGrad_()).toThrow(
      /requiresGrad_: only floating tensors can require gradients, got int32/,
    );
    expect(() => new Tensor(new Int32Array(1), [1], true)).toThrow(DTypeError);
  });

  it('requiresGrad_(false) on a non-leaf is a ValueError', () => {
    expect(() => mul(f64([1]), 2).requiresGrad_(false)).toThrow(ValueError);
  });

  it('inputs that do not require grad get none', () => {
    const x = f64([1, 2]);
    const c = f64([3, 4], [2], false);
    sum(mul(x, c)).backward();
    expect(c.grad).toBeNull();
    expect(Array.from(x.grad!.data)).toEqual([3, 4]);
  });

  it('a float32 leaf gets a float32 gradient', () => {
    const w = ones([2], { requiresGrad: true });
    sum(mul(w, w)).backward();
    expect(w.grad!.dtype).toBe('float32');
  });
});
