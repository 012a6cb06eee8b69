import {
  formatShape,
  memoryScope,
  noGrad,
  ShapeError,
  Tensor,
  ValueError,
  type Generator as Rng,
} from '../../core/index.js';
import { Module } from '../../nn/index.js';
import { tokenIdList } from '../common/config.js';
import type { PastKeyValues } from '../common/outputs.js';
import { nextToken, type SamplingOptions } from './logits.js';

/** What generate needs of a model: a causal LM forward that may return a KV cache. */
export interface GenerationModel {
  forward(inputs: {
    inputIds: Tensor;
    attentionMask?: Tensor;
    positionIds?: Tensor;
    pastKeyValues?: PastKeyValues;
    useCache?: boolean;
  }): { logits: Tensor; pastKeyValues?: PastKeyValues };
  readonly config?: {
    eos_token_id?: number | number[] | null;
    pad_token_id?: number | null;
  };
}

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to add at most (per row). */
  maxNewTokens: number;
  /** Draws samples when doSample; required then. */
  rng?: Rng;
  /** End-of-sequence id(s); default the model config's eos_token_id; null for none. */
  eosTokenId?: number | number[] | null;
  /** More ids that end a row, on top of eosTokenId. */
  stopTokens?: readonly number[];
  /** Fills rows that already ended; default pad_token_id, else the first eos id, else 0. */
  padTokenId?: number;
  /** [batch, prompt] 1/0 mask for left-padded prompts; positions then skip the padding. */
  attentionMask?: Tensor;
  /** Reuse past keys/values (default true); false recomputes the whole sequence each step. */
  useCache?: boolean;
  /**
   * Called after every step with the new token of each row (streaming); returning false stops
   * generation after this step.
   */
  onToken?: (event: TokenEvent) => void | boolean;
}

export interface TokenEvent {
  /** 0 for the first new token. */
  step: number;
  /** The token appended to each row (padTokenId for rows that had already finished). */
  tokens: number[];
  /** Whether each row has finished (this step's token included). */
  finished: boolean[];
}

/**
 * Autoregressive decoding as Hugging Face's generate (greedy or sampling, no beams): returns
 * int32 [batch, prompt + new] with the prompt first. A row ends at an eos/stop token (which is
 * kept); rows that end early are padded until every row ends or maxNewTokens is reached.
 * Runs without gradients and with the model in eval mode (its modes are restored afterwards).
 */
export function generate(
  model: GenerationModel,
  inputIds: Tensor | readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions,
): Tensor {
  const steps = streamGenerate(model, inputIds, options);
  let next = steps.next();
  while (!next.done) next = steps.next(options.onToken?.(next.value) !== false);
  return next.value;
}

/**
 * generate as an iterator of steps (streaming); its return value is the final [batch, length]
 * tensor. Passing false to next() stops after the current step.
 */
export function* streamGenerate(
  model: GenerationModel,
  inputIds: Tensor | readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions,
): Generator<TokenEvent, Tensor, boolean | undefined> {
  const rows = toRows(inputIds);
  const B = rows.length;
  const maxNew = options.maxNewTokens;
  if (!(Number.isInteger(maxNew) && maxNew >= 0)) {
    throw new ValueError(`generate: maxNewTokens must be a non-negative integer, got ${maxNew}`);
  }
  if (options.doSample && !options.rng) {
    throw new ValueError('generate: doSample: true needs rng (a seeded Generator)');
  }
  const eos =
    options.eosTokenId === undefined
      ? tokenIdList(model.config?.eos_token_id)
      : tokenIdList(options.eosTokenId);
  const stop = new Set([...eos, ...(options.stopTokens ?? [])]);
  const pad = options.padTokenId ?? model.config?.pad_token_id ?? eos[0] ?? 0;
  const mask = options.attentionMask ? maskRows(options.attentionMask, rows) : null;
  const finished = new Array<boolean>(B).fill(false);
  let useCache = options.useCache ?? true;
  let past: PastKeyValues | undefined;
  let fed = 0; // tokens of each row the cache already covers

  const modes = model instanceof Module ? model.modules().map((m) => m.training) : null;
  if (model instanceof Module) model.eval();
  try {
    for (let step = 0; step < maxNew; step++) {
      const T = rows[0].length;
      const start = useCache && past ? fed : 0;
      const feed = rows.map((r) => r.slice(start));
      // A scope per step hands the step's activations back to the memory pool, so the next
      // step reuses them; only the cache and the last position's scores leave it.
      const out = memoryScope(() => {
        const o = noGrad(() =>
          model.forward({
            inputIds: new Tensor(Int32Array.from(feed.flat()), [B, T - start]),
            attentionMask: mask ? new Tensor(Int32Array.from(mask.flat()), [B, T]) : undefined,
            positionIds: mask ? positionIds(mask, start) : undefined,
            pastKeyValues: start > 0 ? past : undefined,
            useCache,
          }),
        );
        const [, Tout, V] = o.logits.shape;
        const last = rows.map((_, b) => {
          const offset = (b * Tout + Tout - 1) * V;
          return Float32Array.from(o.logits.data.subarray(offset, offset + V));
        });
        return { pastKeyValues: o.pastKeyValues, last };
      });
      if (useCache && !out.pastKeyValues) useCache = false; // the model has no cache: recompute
      past = useCache ? out.pastKeyValues : undefined;
      fed = T;
      const tokens: number[] = [];
      for (let b = 0; b < B; b++) {
        let token = pad;
        if (!finished[b]) {
          token = nextToken(out.last[b], rows[b], options, options.rng);
          if (stop.has(token)) finished[b] = true;
        }
        rows[b].push(token);
        mask?.[b].push(1);
        tokens.push(token);
      }
      const keepGoing = yield { step, tokens, finished: [...finished] };
      if (keepGoing === false || finished.every(Boolean)) break;
    }
  } finally {
    if (model instanceof Module && modes) {
      model.modules().forEach((m, i) => (m.training = modes[i]));
    }
  }
  return new Tensor(Int32Array.from(rows.flat()), [B, rows[0].length]);
}

function toRows(input: Tensor | readonly number[] | readonly (readonly number[])[]): number[][] {
  if (input instanceof Tensor) {
    if (input.rank !== 2 || input.dtype !== 'int32' || input.shape[1] === 0) {
      throw new ShapeError(
        `generate: inputIds must be int32 [batch, seq] with seq > 0, got ${input.dtype} ${formatShape(input.shape)}`,
      );
    }
    const [B, T] = input.shape;
    return Array.from({ length: B }, (_, b) => Array.from(input.data.subarray(b * T, (b + 1) * T)));
  }
  const rows = (
    input.length > 0 && Array.isArray(input[0]) ? input : [input]
  ) as readonly (readonly number[])[];
  if (rows.length === 0 || rows[0].length === 0 || rows.some((r) => r.length !== rows[0].length)) {
    throw new ShapeError(
      'generate: inputIds rows must be non-empty and of equal length (pad them)',
    );
  }
  for (const r of rows) {
    for (const t of r) {
      if (!Number.isInteger(t) || t < 0)
        throw new ValueError(`generate: token id ${t} is not valid`);
    }
  }
  return rows.map((r) => [...r]);
}

function maskRows(mask: Tensor, rows: number[][]): number[][] {
  const B = rows.length;
  const T = rows[0].length;
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T) {
    throw new ShapeError(
      `generate: attentionMask must be [${B}, ${T}] like inputIds, got ${formatShape(mask.shape)}`,
    );
  }
  return Array.from({ length: B }, (_, b) =>
    Array.from(mask.data.subarray(b * T, (b + 1) * T), (v) => (v !== 0 ? 1 : 0)),
  );
}

/** HF's positions under a padding mask: cumsum(mask) - 1, padding at 1; the columns from start. */
function positionIds(mask: number[][], start: number): Tensor {
  const B = mask.length;
  const T = mask[0].length;
  const out = new Int32Array(B * (T - start));
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < T; t++) {
      count += mask[b][t];
      if (t >= start) out[b * (T - start) + t - start] = mask[b][t] ? count - 1 : 1;
    }
  }
  return new Tensor(out, [B, T - start]);
}
