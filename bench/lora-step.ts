import {
  crossEntropy,
  Generator,
  memoryScope,
  noGrad,
  reshape,
  Tensor,
} from '../src/core/index.js';
import { GPT2LMHeadModel, type GPT2ConfigInput } from '../src/models/gpt2/index.js';
import { Adam } from '../src/optim/index.js';
import { getPeftModel } from '../src/peft/index.js';
import { median } from './harness.js';
import { subsample } from './mlp-step.js';

/** The gpt-step model (bench/gpt-step.ts), the same shape as bench/pytorch/lora_step.py's. */
export const LORA_STEP_MODEL: GPT2ConfigInput = {
  vocab_size: 512,
  n_positions: 128,
  n_embd: 256,
  n_layer: 4,
  n_head: 4,
  n_inner: 1024,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
};

/**
 * What a LoRA step costs next to the frozen base it trains through (target: <= 1.2x).
 *
 * - frozen: every parameter frozen; the input embeddings (wte rows, computed once) are a leaf
 *   that requires grad, so backward runs through every block down to the input, computing the
 *   activation gradients and no weight gradient. Nothing is updated.
 * - lora: the same weights (same seed) with LoRA r=8, alpha 8, dropout 0 on c_attn (PEFT's
 *   GPT-2 default), the same input embeddings (not requiring grad, as ids would not), then
 *   backward and Adam (lr 3e-4) on the LoRA parameters only.
 *
 * Both take the same inputs, sequence length and loss (mean cross-entropy over all positions),
 * each step in a memoryScope. The two steps alternate (frozen, lora, lora, frozen, ...), so a
 * machine shared with other work slows both alike; the ratio is reported as the ratio of the
 * medians and as the median of the per-pair ratios.
 */
export function runLoraStep(options: {
  steps?: number;
  warmup?: number;
  /** Tests pass a tiny model; the benchmark's is LORA_STEP_MODEL, batch 8, sequence 128. */
  model?: GPT2ConfigInput;
  batch?: number;
  seq?: number;
}) {
  const config = options.model ?? LORA_STEP_MODEL;
  const B = options.batch ?? 8;
  const T = options.seq ?? 128;
  const frozen = new GPT2LMHeadModel(config, { rng: new Generator(0) });
  const V = frozen.config.vocab_size;
  frozen.freeze();
  const peft = getPeftModel(
    new GPT2LMHeadModel(config, { rng: new Generator(0) }),
    { peft_type: 'LORA', r: 8, lora_alpha: 8, lora_dropout: 0, target_modules: ['c_attn'] },
    { rng: new Generator(1), onWarning: () => undefined },
  );
  const trainable = peft.trainableParameters();
  const optimizer = new Adam(trainable, { lr: 3e-4 });

  const rng = new Generator(2);
  const ids = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) {
    ids[i] = rng.int(V);
    targets[i] = rng.int(V);
  }
  const embeds = noGrad(() => frozen.transformer.wte.forward(new Tensor(ids, [B, T])));
  const frozenInput = embeds.detach().requiresGrad_(true);
  const labels = new Tensor(targets, [B * T]);

  let frozenLoss = 0;
  let loraLoss = 0;
  const frozenStep = (): void =>
    memoryScope(() => {
      frozenInput.grad = null;
      const { logits } = frozen.forward({ inputsEmbeds: frozenInput });
      const l = crossEntropy(reshape(logits, [B * T, V]), labels);
      l.backward();
      frozenLoss = l.item();
    });
  const loraStep = (): void =>
    memoryScope(() => {
      optimizer.zeroGrad();
      const { logits } = peft.forward({ inputsEmbeds: embeds });
      const l = crossEntropy(reshape(logits, [B * T, V]), labels);
      l.backward();
      optimizer.step();
      loraLoss = l.item();
    });

  // Wall and process CPU time (all threads) of one step: on a shared machine a one-thread run's
  // CPU time is the steadier estimate of its quiet-machine wall time.
  const frozenCpu: number[] = [];
  const loraCpu: number[] = [];
  const time = (fn: () => void, cpu: number[]): number => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    return wall;
  };
  const warmup = options.warmup ?? 2;
  for (let i = 0; i < warmup; i++) {
    frozenStep();
    loraStep();
  }
  const frozenMs: number[] = [];
  const loraMs: number[] = [];
  const steps = options.steps ?? 10;
  for (let i = 0; i < steps; i++) {
    // Alternate which goes first, so neither always runs right after the other's allocations.
    if (i % 2 === 0) {
      frozenMs.push(time(frozenStep, frozenCpu));
      loraMs.push(time(loraStep, loraCpu));
    } else {
      loraMs.push(time(loraStep, loraCpu));
      frozenMs.push(time(frozenStep, frozenCpu));
    }
  }
  const frozenMedian = median(frozenMs);
  const loraMedian = median(loraMs);
  return {
    median: loraMedian,
    unit: 'ms' as const,
    samples: subsample(loraMs),
    frozenMedian,
    frozenSamples: subsample(frozenMs),
    ratio: loraMedian / frozenMedian,
    pairRatioMedian: median(loraMs.map((l, i) => l / frozenMs[i])),
    cpuMedian: median(loraCpu),
    frozenCpuMedian: median(frozenCpu),
    cpuRatio: median(loraCpu) / median(frozenCpu),
    trainableParams: trainable.reduce((n, p) => n + p.size, 0),
    batch: B,
    seq: T,
    frozenLoss,
    loraLoss,
  };
}
