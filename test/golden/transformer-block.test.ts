import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mul, sum, Tensor, type FloatDType } from '../../src/index.js';
import { GPT2Block, gpt2Config } from '../../src/models/gpt2/index.js';

/**
 * One GPT-2 block forward + backward against PyTorch (scripts/golden/make_engine_goldens.py):
 * output, loss and the gradient of every parameter and of the input, in float64 (to ~1e-10) and
 * float32 (to float32 rounding).
 */
interface Stored {
  dtype: string;
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/golden/transformer_block.json', import.meta.url), 'utf8'),
) as {
  config: { d_model: number; n_head: number; mlp: number; layer_norm_epsilon: number };
  input: Stored;
  params: Record<string, Stored>;
  loss_weights: Stored;
  float64: {
    output: Stored;
    loss: number;
    grad_input: Stored;
    grad_params: Record<string, Stored>;
  };
  float32: {
    output: Stored;
    loss: number;
    grad_input: Stored;
    grad_params: Record<string, Stored>;
  };
};

function load(s: Stored, dtype: FloatDType, requiresGrad = false): Tensor {
  const data = dtype === 'float64' ? Float64Array.from(s.data) : Float32Array.from(s.data);
  return new Tensor(data, s.shape, requiresGrad);
}

function maxRelError(actual: ArrayLike<number>, expected: readonly number[]): number {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < expected.length; i++) err = Math.max(err, Math.abs(actual[i] - expected[i]));
  return err / Math.max(scale, 1e-30);
}

describe.each([
  ['float64', 1e-10],
  ['float32', 2e-5],
] as const)('GPT-2 block vs PyTorch (%s)', (dtype, tol) => {
  const expected = fixture[dtype];
  const { d_model, n_head, mlp, layer_norm_epsilon } = fixture.config;
  const block = new GPT2Block(
    gpt2Config({
      n_embd: d_model,
      n_head,
      n_inner: mlp,
      n_layer: 1,
      layer_norm_epsilon,
      resid_pdrop: 0,
      attn_pdrop: 0,
      embd_pdrop: 0,
    }),
    null,
  ).to(dtype);
  block.loadStateDict(
    Object.fromEntries(Object.entries(fixture.params).map(([k, v]) => [k, load(v, dtype)])),
  );
  const x = load(fixture.input, dtype, true);
  const out = block.forward(x).hidden;
  const loss = sum(mul(out, load(fixture.loss_weights, dtype)));
  loss.backward();

  it('matches the output and loss', () => {
    expect(maxRelError(out.data, expected.output.data)).toBeLessThan(tol);
    expect(Math.abs(loss.item() - expected.loss) / Math.abs(expected.loss)).toBeLessThan(tol);
  });

  it('matches the input gradient', () => {
    expect(maxRelError(x.grad!.data, expected.grad_input.data)).toBeLessThan(tol);
  });

  it('matches every parameter gradient', () => {
    const params = new Map(block.namedParameters());
    expect([...params.keys()].sort()).toEqual(Object.keys(expected.grad_params).sort());
    for (const [name, g] of Object.entries(expected.grad_params)) {
      expect(maxRelError(params.get(name)!.grad!.data, g.data), name).toBeLessThan(tol);
    }
  });
});
