import { describe, expect, it } from 'vitest';
import { runLoraStep } from '../../bench/lora-step.js';

const TINY = {
  vocab_size: 40,
  n_positions: 8,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  n_inner: 32,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
};

/* The lora-step record on a tiny model: that both steps see the same model and inputs. Timings
 * are never asserted. */
describe('lora-step benchmark', () => {
  it('times the frozen and the LoRA step on the same weights and inputs', () => {
    // No warm-up, one pair: the LoRA step runs once, with B still zero, so its loss is the
    // frozen base's loss exactly.
    const first = runLoraStep({ steps: 1, warmup: 0, model: TINY, batch: 2, seq: 8 });
    expect(first.loraLoss).toBe(first.frozenLoss);
    // r=8 on c_attn: A [8, 16] and B [48, 8] per layer.
    expect(first.trainableParams).toBe(2 * (8 * 16 + 48 * 8));
    expect(first.ratio).toBeCloseTo(first.median / first.frozenMedian, 12);

    // Training moves the LoRA loss away from the (fixed) frozen loss.
    const trained = runLoraStep({ steps: 3, warmup: 2, model: TINY, batch: 2, seq: 8 });
    expect(trained.frozenLoss).toBe(first.frozenLoss);
    expect(trained.loraLoss).not.toBe(trained.frozenLoss);
    expect(trained.samples).toHaveLength(3);
    expect(trained.frozenSamples).toHaveLength(3);
  });
});
