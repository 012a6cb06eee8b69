import { describe, expect, it } from 'vitest';
import {
  add,
  assertFiniteLoss,
  clipGradNorm,
  clipGradValue,
  gradsAreFinite,
  NonFiniteError,
  sum,
  tensor,
  type Tensor,
} from '../../src/index.js';

const withGrad = (values: number[], grad: number[]): Tensor => {
  const t = tensor(values, undefined, { dtype: 'float64', requiresGrad: true });
  t.grad = tensor(grad, undefined, { dtype: 'float64' });
  return t;
};

describe('clipGradNorm (torch.nn.utils.clip_grad_norm_)', () => {
  it('returns the total 2-norm and scales by maxNorm / (norm + 1e-6)', () => {
    const a = withGrad([0, 0], [3, 4]);
    const b = withGrad([0], [12]);
    const c = tensor([1], undefined, { requiresGrad: true }); // no grad: ignored
    const total = clipGradNorm([a, b, c], 6.5);
    expect(total).toBeCloseTo(13, 14);
    const coef = 6.5 / (13 + 1e-6);
    expect([...a.grad!.data]).toEqual([3 * coef, 4 * coef]);
    expect(b.grad!.data[0]).toBe(12 * coef);
  });

  it('leaves gradients alone under the limit', () => {
    const a = withGrad([0, 0], [3, 4]);
    expect(clipGradNorm(a, 10)).toBeCloseTo(5, 14);
    expect([...a.grad!.data]).toEqual([3, 4]);
  });

  it('supports the max norm and other p-norms', () => {
    const a = withGrad([0, 0], [3, -4]);
    const b = withGrad([0], [2]);
    expect(clipGradNorm([a, b], 100, Infinity)).toBe(4);
    expect(clipGradNorm([a, b], 100, 1)).toBeCloseTo(9, 14);
    expect(clipGradNorm([a, b], 100, 3)).toBeCloseTo((27 + 64 + 8) ** (1 / 3), 13);
    expect(clipGradNorm([a, b], 2, Infinity)).toBe(4);
    expect(a.grad!.data[1]).toBeCloseTo(-4 * (2 / (4 + 1e-6)), 14);
  });

  it('scales a gradient shared by two leaves once for each (autograd aliasing)', () => {
    const a = tensor([1, 1], undefined, { dtype: 'float64', requiresGrad: true });
    const b = tensor([2, 2], undefined, { dtype: 'float64', requiresGrad: true });
    sum(add(a, b)).backward(); // both receive the same gradient tensor
    const total = clipGradNorm([a, b], 1);
    expect(total).toBeCloseTo(2, 14);
    const coef = 1 / (2 + 1e-6);
    expect([...a.grad!.data]).toEqual([coef, coef]);
    expect([...b.grad!.data]).toEqual([coef, coef]);
  });

  it('errorIfNonfinite throws NonFiniteError; otherwise a NaN norm is returned', () => {
    const a = withGrad([0, 0], [NaN, 1]);
    expect(() => clipGradNorm(a, 1, 2, { errorIfNonfinite: true })).toThrow(NonFiniteError);
    expect(clipGradNorm(a, 1)).toBeNaN();
    expect(gradsAreFinite([a])).toBe(false);
    expect(gradsAreFinite([withGrad([0], [1])])).toBe(true);
  });

  it('clipGradValue clamps elementwise', () => {
    const a = withGrad([0, 0, 0], [-5, 0.5, 7]);
    clipGradValue(a, 1);
    expect([...a.grad!.data]).toEqual([-1, 0.5, 1]);
  });
});

describe('assertFiniteLoss', () => {
  it('returns finite values and names the step otherwise', () => {
    expect(assertFiniteLoss(tensor(1.5), 3)).toBe(1.5);
    expect(() => assertFiniteLoss(NaN, 42)).toThrow(NonFiniteError);
    expect(() => assertFiniteLoss(tensor(Infinity), 7)).toThrow(
      /non-finite loss Infinity at step 7/,
    );
  });
});
