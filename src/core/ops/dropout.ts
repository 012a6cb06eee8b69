import { record } from '../autograd.js';
import { ValueError } from '../errors.js';
import type { Generator } from '../rng.js';
import { Tensor } from '../tensor.js';
import { assertFloat, newTensor } from './util.js';

/**
 * Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p), drawing
 * the mask from an explicit generator. Identity when not training or p is 0.
 */
export function dropout(x: Tensor, p: number, rng: Generator, training = true): Tensor {
  assertFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = newTensor(x.shape, x.dtype);
  const keep = 1 - p;
  const scale = keep === 0 ? 0 : 1 / keep;
  for (let i = 0; i < mask.size; i++) mask.data[i] = rng.uniform() < keep ? scale : 0;
  const out = newTensor(x.shape, x.dtype);
  for (let i = 0; i < out.size; i++) out.data[i] = x.data[i] * mask.data[i];
  return record('dropout', [x], out, (g) => {
    const dx = newTensor(x.shape, g.dtype);
    for (let i = 0; i < dx.size; i++) dx.data[i] = g.data[i] * mask.data[i];
    return [dx];
  });
}
