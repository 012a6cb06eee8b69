import { backward, noGrad } from '../autograd.js';
import { ValueError } from '../errors.js';
import { Generator } from '../rng.js';
import { Tensor } from '../tensor.js';

export interface GradcheckOptions {
  /** Central-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random projection vector. */
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  /** Largest |analytic - numeric| over all checked elements. */
  maxAbsError: number;
  /** First failing element, if any: input index, flat element index, both values. */
  failure?: { input: number; element: number; analytic: number; numeric: number };
}

/**
 * Compare autograd gradients with float64 central differences (torch.autograd.gradcheck).
 * The output is reduced to a scalar with a fixed random projection so every output element
 * contributes. Inputs that require grad must be float64.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  for (const [i, t] of inputs.entries()) {
    if (t.requiresGrad && t.dtype !== 'float64') {
      throw new ValueError(`gradcheck: input ${i} requires grad but is ${t.dtype}; use float64`);
    }
  }
  const probe = noGrad(() => fn(...inputs));
  const rng = new Generator(options.seed ?? 0);
  const v = new Float64Array(probe.size);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal();
  const project = (out: Tensor): number => {
    let s = 0;
    for (let i = 0; i < out.size; i++) s += out.data[i] * v[i];
    return s;
  };

  for (const t of inputs) t.grad = null;
  const out = fn(...inputs);
  backward(out, new Tensor(Float64Array.from(v), out.shape));

  let maxAbsError = 0;
  for (const [ii, t] of inputs.entries()) {
    if (!t.requiresGrad) continue;
    const analytic = t.grad?.data;
    for (let e = 0; e < t.size; e++) {
      const orig = t.data[e];
      t.data[e] = orig + eps;
      const plus = project(noGrad(() => fn(...inputs)));
      t.data[e] = orig - eps;
      const minus = project(noGrad(() => fn(...inputs)));
      t.data[e] = orig;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic ? analytic[e] : 0;
      const err = Math.abs(a - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      if (!(err <= atol + rtol * Math.abs(numeric))) {
        return {
          ok: false,
          maxAbsError: err,
          failure: { input: ii, element: e, analytic: a, numeric },
        };
      }
    }
  }
  return { ok: true, maxAbsError };
}
