import {
  add,
  matmul,
  permute,
  reshape,
  scaledDotProductAttention,
  ShapeError,
  slice,
  split,
  ValueError,
  zeros,
  type Generator,
  type Tensor,
} from '../../core/index.js';
import { xavierUniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { initRng, type InitOptions } from './options.js';

export interface AttentionLayerOptions extends InitOptions {
  bias?: boolean;
  /** Dropout on attention probabilities and on the output (default 0). */
  dropout?: number;
  /** Needed when dropout > 0. */
  dropoutRng?: Generator;
}

export interface AttentionCallOptions {
  /** [batch, keys], 1 = attend, 0 = padding (Osmosis' convention, the reverse of torch's bool mask). */
  keyPaddingMask?: Tensor;
  /** Additive float mask broadcastable to [batch, heads, queries, keys]. */
  attnMask?: Tensor;
  causal?: boolean;
}

/** [B, T, H*D] -> [B, H, T, D]. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, t, e] = x.shape;
  return permute(reshape(x, [b, t, heads, e / heads]), [0, 2, 1, 3]);
}

/** [B, H, T, D] -> [B, T, H*D]. */
function mergeHeads(x: Tensor): Tensor {
  const [b, h, t, d] = x.shape;
  return reshape(permute(x, [0, 2, 1, 3]), [b, t, h * d]);
}

function checkHeads(layer: string, embedDim: number, numHeads: number): void {
  if (!(Number.isInteger(numHeads) && numHeads > 0 && embedDim % numHeads === 0)) {
    throw new ValueError(
      `${layer}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`,
    );
  }
}

function checkInput(layer: string, x: Tensor, embedDim: number, arg: string): void {
  if (x.rank !== 3 || x.shape[2] !== embedDim) {
    throw new ShapeError(
      `${layer}: argument '${arg}' must be [batch, seq, ${embedDim}], got [${x.shape.join(',')}]`,
    );
  }
}

/**
 * GPT-style masked self-attention with nanoGPT's names (c_attn: E -> 3E fused q/k/v, c_proj).
 * Input and output [batch, seq, embedDim].
 */
export class CausalSelfAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly dropoutP: number;
  c_attn: Linear;
  c_proj: Linear;
  residDropout: Dropout;
  readonly #rng: Generator | undefined;

  constructor(embedDim: number, numHeads: number, options: AttentionLayerOptions = {}) {
    super();
    checkHeads('CausalSelfAttention', embedDim, numHeads);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.dropoutP = options.dropout ?? 0;
    this.c_attn = new Linear(embedDim, 3 * embedDim, options);
    this.c_proj = new Linear(embedDim, embedDim, options);
    this.residDropout = new Dropout(this.dropoutP, options.dropoutRng);
    this.#rng = options.dropoutRng;
  }

  forward(x: Tensor, options: Omit<AttentionCallOptions, 'causal'> = {}): Tensor {
    checkInput('CausalSelfAttention', x, this.embedDim, 'x');
    const [q, k, v] = split(this.c_attn.forward(x), this.embedDim, 2).map((t) =>
      splitHeads(t, this.numHeads),
    );
    const y = scaledDotProductAttention(q, k, v, {
      ...options,
      causal: true,
      dropoutP: this.dropoutP,
      rng: this.#rng,
      training: this.training,
    });
    return this.residDropout.forward(this.c_proj.forward(mergeHeads(y)));
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}`;
  }
}

/**
 * torch.nn.MultiheadAttention (batch first) with its parameter names: in_proj_weight [3E, E],
 * in_proj_bias [3E], out_proj. Init as torch: xavier_uniform in_proj_weight, zero biases.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly dropoutP: number;
  in_proj_weight: Parameter;
  in_proj_bias: Parameter | null;
  out_proj: Linear;
  readonly #rng: Generator | undefined;

  constructor(embedDim: number, numHeads: number, options: AttentionLayerOptions = {}) {
    super();
    checkHeads('MultiheadAttention', embedDim, numHeads);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.dropoutP = options.dropout ?? 0;
    const dtype = options.dtype ?? 'float32';
    const bias = options.bias !== false;
    this.in_proj_weight = new Parameter(zeros([3 * embedDim, embedDim], { dtype }));
    this.in_proj_bias = bias ? new Parameter(zeros([3 * embedDim], { dtype })) : null;
    this.out_proj = new Linear(embedDim, embedDim, options);
    const rng = initRng('MultiheadAttention', options);
    if (rng) xavierUniform_(this.in_proj_weight, rng);
    this.out_proj.bias?.data.fill(0);
    if (this.dropoutP > 0 && !options.dropoutRng) {
      throw new ValueError(`MultiheadAttention: dropout ${this.dropoutP} needs a dropoutRng`);
    }
    this.#rng = options.dropoutRng;
  }

  /** query [B, Tq, E], key and value [B, Tk, E] -> [B, Tq, E]. */
  forward(query: Tensor, key: Tensor, value: Tensor, options: AttentionCallOptions = {}): Tensor {
    const E = this.embedDim;
    checkInput('MultiheadAttention', query, E, 'query');
    checkInput('MultiheadAttention', key, E, 'key');
    checkInput('MultiheadAttention', value, E, 'value');
    const project = (x: Tensor, i: number): Tensor => {
      const w = slice(this.in_proj_weight, 0, i * E, (i + 1) * E);
      const y = matmul(x, w, { transB: true });
      return this.in_proj_bias ? add(y, slice(this.in_proj_bias, 0, i * E, (i + 1) * E)) : y;
    };
    const h = this.numHeads;
    const out = scaledDotProductAttention(
      splitHeads(project(query, 0), h),
      splitHeads(project(key, 1), h),
      splitHeads(project(value, 2), h),
      { ...options, dropoutP: this.dropoutP, rng: this.#rng, training: this.training },
    );
    return this.out_proj.forward(mergeHeads(out));
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}`;
  }
}
