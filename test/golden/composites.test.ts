import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  backward,
  crossEntropy,
  gather,
  huberLoss,
  klDiv,
  layerNorm,
  logSoftmax,
  logsumexp,
  matmul,
  scaledDotProductAttention,
  scatterAdd,
  Tensor,
  variance,
} from '../../src/index.js';

/**
 * Composite ops against PyTorch (scripts/golden/make_engine_goldens.py): outputs and the
 * gradients of every differentiable input for a given output gradient, in float64.
 */
interface Stored {
  dtype: string;
  shape: number[];
  data: (number | boolean)[];
}
interface Case {
  name: string;
  args: Record<string, unknown>;
  inputs: Record<string, Stored>;
  output: Stored;
  grad_output: Stored;
  grads: Record<string, Stored>;
}
const { cases } = JSON.parse(
  readFileSync(new URL('../fixtures/golden/composites.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

function load(s: Stored, requiresGrad: boolean): Tensor {
  const values = s.data.map(Number);
  if (s.dtype.startsWith('int') || s.dtype === 'bool')
    return new Tensor(Int32Array.from(values), s.shape);
  return new Tensor(Float64Array.from(values), s.shape, requiresGrad);
}

type Run = (t: Record<string, Tensor>, args: Record<string, unknown>) => Tensor;
const runs: Record<string, Run> = {
  cross_entropy_ignore_index_label_smoothing: (t, a) =>
    crossEntropy(t.input, t.target, {
      ignoreIndex: a.ignore_index as number,
      labelSmoothing: a.label_smoothing as number,
    }),
  cross_entropy_ignore_real_class: (t, a) =>
    crossEntropy(t.input, t.target, {
      ignoreIndex: a.ignore_index as number,
      labelSmoothing: a.label_smoothing as number,
    }),
  log_softmax_inner_axis: (t, a) => logSoftmax(t.x, a.dim as number),
  layer_norm_affine: (t, a) => layerNorm(t.x, t.weight, t.bias, a.eps as number),
  kl_div_batchmean: (t) => klDiv(t.input, t.target, { reduction: 'batchmean' }),
  huber_loss: (t, a) => huberLoss(t.input, t.target, a.delta as number),
  attention_key_padding_mask: (t, a) =>
    scaledDotProductAttention(t.q, t.k, t.v, {
      keyPaddingMask: t.key_padding_mask,
      scale: a.scale as number,
    }),
  matmul_broadcast_batch: (t) => matmul(t.input, t.other),
  gather: (t, a) => gather(t.x, a.dim as number, t.index),
  scatter_add: (t, a) => scatterAdd(t.x, a.dim as number, t.index, t.src),
  var_unbiased_dim: (t, a) => variance(t.x, a.dim as number),
  var_unbiased_all: (t) => variance(t.x),
  logsumexp_inner_axis: (t, a) => logsumexp(t.x, a.dim as number),
};

function expectClose(actual: ArrayLike<number>, expected: Stored, label: string): void {
  expect(actual.length, label).toBe(expected.data.length);
  for (let i = 0; i < actual.length; i++) {
    const e = Number(expected.data[i]);
    expect(Math.abs(actual[i] - e), `${label}[${i}]: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(
      1e-10 * Math.max(1, Math.abs(e)),
    );
  }
}

describe('composite ops vs PyTorch (float64)', () => {
  it('covers every case in the fixture', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(runs).sort());
  });

  for (const c of cases) {
    it(c.name, () => {
      const inputs = Object.fromEntries(
        Object.entries(c.inputs).map(([k, s]) => [k, load(s, k in c.grads)]),
      );
      const out = runs[c.name](inputs, c.args);
      expect(out.shape).toEqual(c.output.shape);
      expectClose(out.data, c.output, 'output');
      backward(out, load(c.grad_output, false));
      for (const [k, g] of Object.entries(c.grads))
        expectClose(inputs[k].grad!.data, g, `grad ${k}`);
    });
  }
});
