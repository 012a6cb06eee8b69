import { Generator, Tensor } from '../src/core/index.js';
import { generate } from '../src/models/generation/index.js';
import { GPT2LMHeadModel, type GPT2ConfigInput } from '../src/models/gpt2/index.js';
import { median } from './harness.js';

/** The gpt-step model with room for prompt + new tokens; bench/pytorch/generate.py's shape. */
export const GENERATE_MODEL: GPT2ConfigInput = {
  vocab_size: 512,
  n_positions: 256,
  n_embd: 256,
  n_layer: 4,
  n_head: 4,
  n_inner: 1024,
  resid_pdrop: 0,
  embd_pdrop: 0,
  attn_pdrop: 0,
};

/**
 * Greedy generation, batch 1: a 32-token prompt, 128 new tokens (no end token, so every run
 * makes all 128), with the KV cache and, for contrast, without (every step recomputes the whole
 * sequence). One sample is one generate call, prefill included; the rate is new tokens per
 * second of it. Runs alternate (cache, no cache, ...) so load on a shared machine hits both.
 */
export function runGenerate(options: {
  steps?: number;
  warmup?: number;
  /** Tests pass a tiny model and short runs. */
  model?: GPT2ConfigInput;
  promptTokens?: number;
  newTokens?: number;
}) {
  const model = new GPT2LMHeadModel(options.model ?? GENERATE_MODEL, { rng: new Generator(0) });
  model.eval();
  const P = options.promptTokens ?? 32;
  const N = options.newTokens ?? 128;
  const rng = new Generator(1);
  const prompt = new Tensor(
    Int32Array.from({ length: P }, () => rng.int(model.config.vocab_size)),
    [1, P],
  );
  // Wall and process CPU time (all threads): a one-thread run's CPU time is the steadier
  // estimate of its quiet-machine wall time on a shared machine.
  const run = (useCache: boolean) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = generate(model, prompt, { maxNewTokens: N, eosTokenId: null, useCache });
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { ms, cpuMs: (c.user + c.system) / 1000, tokens: Array.from(out.data.subarray(P)) };
  };
  for (let i = 0; i < (options.warmup ?? 1); i++) {
    run(true);
    run(false);
  }
  const cached: number[] = [];
  const uncached: number[] = [];
  const cachedCpu: number[] = [];
  const uncachedCpu: number[] = [];
  let sameTokens = true;
  for (let i = 0; i < (options.steps ?? 5); i++) {
    const a = run(true);
    const b = run(false);
    cached.push(a.ms);
    uncached.push(b.ms);
    cachedCpu.push(a.cpuMs);
    uncachedCpu.push(b.cpuMs);
    // The cache is an optimisation: greedy decoding must pick the very same tokens without it.
    sameTokens &&= a.tokens.length === N && a.tokens.every((t, k) => t === b.tokens[k]);
  }
  const rate = (ms: number): number => N / (ms / 1000);
  const cachedMs = median(cached);
  const uncachedMs = median(uncached);
  return {
    median: rate(cachedMs),
    unit: 'tokens/s' as const,
    samples: cached.map(rate),
    cachedMs,
    noCacheTokensPerS: rate(uncachedMs),
    noCacheMs: uncachedMs,
    noCacheSamples: uncached.map(rate),
    cacheSpeedup: uncachedMs / cachedMs,
    /** New tokens per second of process CPU time, with and without the cache. */
    cpuTokensPerS: rate(median(cachedCpu)),
    noCacheCpuTokensPerS: rate(median(uncachedCpu)),
    promptTokens: P,
    newTokens: N,
    batch: 1,
    sameTokens,
  };
}
