import { crossEntropy, Generator, memoryScope, reshape, Tensor } from '../src/core/index.js';
import { GPT2LMHeadModel } from '../src/models/gpt2/index.js';
import { Adam } from '../src/optim/index.js';
import { median, timeRuns } from './harness.js';
import { subsample } from './mlp-step.js';

/**
 * One training step of a small GPT (vocab 512, d_model 256, 4 layers, 4 heads, MLP 1024,
 * sequence 128, batch 8, causal, pre-LayerNorm, tanh-GELU, tied LM head, no dropout,
 * cross-entropy over all positions, Adam lr 3e-4), the same workload as
 * bench/pytorch/gpt_step.py. Gradients are zeroed in place (setToNone: false), as in mlp-step:
 * backward then accumulates into last step's buffers instead of copying each parameter's
 * gradient into 13 MB of fresh storage per step (page faults and collector work); the PyTorch
 * twin drops them (set_to_none=True), its fastest setting.
 */
export function runGptStep(options: { steps?: number; warmup?: number }) {
  const rng = new Generator(0);
  const B = 8;
  const T = 128;
  const V = 512;
  const model = new GPT2LMHeadModel(
    {
      vocab_size: V,
      n_positions: T,
      n_embd: 256,
      n_layer: 4,
      n_head: 4,
      n_inner: 1024,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
    },
    { rng },
  );
  const optimizer = new Adam(model.parameters(), { lr: 3e-4 });
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) {
    ids[i] = rng.int(V);
    targets[i] = rng.int(V);
  }
  const inputIds = new Tensor(ids, [B, T]);
  const labels = new Tensor(targets, [B * T]);
  let loss = 0;
  // The scope hands the step's activations and gradients back to the pool as it ends, so every
  // step after the first reuses the same buffers.
  const step = (): void =>
    memoryScope(() => {
      optimizer.zeroGrad({ setToNone: false });
      const { logits } = model.forward({ inputIds });
      const l = crossEntropy(reshape(logits, [B * T, V]), labels);
      l.backward();
      optimizer.step();
      loss = l.item();
    });
  const samples = timeRuns(step, options.warmup ?? 2, options.steps ?? 10);
  return {
    median: median(samples),
    unit: 'ms' as const,
    samples: subsample(samples),
    finalLoss: loss,
  };
}
