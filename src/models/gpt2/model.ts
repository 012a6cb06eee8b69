import {
  add,
  crossEntropy,
  gelu,
  matmul,
  permute,
  relu,
  reshape,
  scaledDotProductAttention,
  slice,
  ShapeError,
  zeros,
  Generator,
  type Tensor,
} from '../../core/index.js';
import {
  Dropout,
  Embedding,
  LayerNorm,
  Module,
  ModuleList,
  Parameter,
  normal_,
} from '../../nn/index.js';
import { gpt2Config, type GPT2Config } from './config.js';

/**
 * GPT-2 as in Radford et al. 2019 and Hugging Face's modeling_gpt2, with the same module and
 * parameter names so checkpoints map one-to-one (transformer.h.0.attn.c_attn.weight, ...).
 */

/** GPT-2's "Conv1D": a linear layer whose weight is stored [in, out] (y = x W + b). */
export class Conv1D extends Module {
  weight: Parameter;
  bias: Parameter;

  constructor(nf: number, nx: number, rng: Generator | null, std: number) {
    super();
    this.weight = new Parameter(zeros([nx, nf]));
    this.bias = new Parameter(zeros([nf]));
    if (rng) normal_(this.weight, rng, 0, std);
  }

  forward(x: Tensor): Tensor {
    return add(matmul(x, this.weight), this.bias);
  }
}

export class GPT2Attention extends Module {
  c_attn: Conv1D;
  c_proj: Conv1D;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly #nHead: number;
  readonly #rng: Generator | null;

  constructor(config: GPT2Config, rng: Generator | null) {
    super();
    const d = config.n_embd;
    const std = config.initializer_range;
    this.c_attn = new Conv1D(3 * d, d, rng, std);
    // GPT-2 scales residual projections by 1/sqrt(2 * n_layer) at init.
    this.c_proj = new Conv1D(d, d, rng, std / Math.sqrt(2 * config.n_layer));
    this.attn_dropout = new Dropout(config.attn_pdrop, rng ?? undefined);
    this.resid_dropout = new Dropout(config.resid_pdrop, rng ?? undefined);
    this.#nHead = config.n_head;
    this.#rng = rng;
  }

  forward(x: Tensor, keyPaddingMask?: Tensor): Tensor {
    const [B, T, d] = x.shape;
    const H = this.#nHead;
    const qkv = this.c_attn.forward(x);
    const heads = (i: number): Tensor =>
      permute(reshape(slice(qkv, 2, i * d, (i + 1) * d), [B, T, H, d / H]), [0, 2, 1, 3]);
    const y = scaledDotProductAttention(heads(0), heads(1), heads(2), {
      causal: true,
      keyPaddingMask,
      dropoutP: this.training ? this.attn_dropout.p : 0,
      rng: this.#rng ?? undefined,
      training: this.training,
    });
    const merged = reshape(permute(y, [0, 2, 1, 3]), [B, T, d]);
    return this.resid_dropout.forward(this.c_proj.forward(merged));
  }
}

export class GPT2MLP extends Module {
  c_fc: Conv1D;
  c_proj: Conv1D;
  dropout: Dropout;
  readonly #activation: GPT2Config['activation_function'];

  constructor(config: GPT2Config, rng: Generator | null) {
    super();
    const inner = config.n_inner ?? 4 * config.n_embd;
    this.c_fc = new Conv1D(inner, config.n_embd, rng, config.initializer_range);
    this.c_proj = new Conv1D(
      config.n_embd,
      inner,
      rng,
      config.initializer_range / Math.sqrt(2 * config.n_layer),
    );
    this.dropout = new Dropout(config.resid_pdrop, rng ?? undefined);
    this.#activation = config.activation_function;
  }

  forward(x: Tensor): Tensor {
    const h = this.c_fc.forward(x);
    const a =
      this.#activation === 'relu'
        ? relu(h)
        : gelu(h, this.#activation === 'gelu' ? 'none' : 'tanh');
    return this.dropout.forward(this.c_proj.forward(a));
  }
}

export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;

  constructor(config: GPT2Config, rng: Generator | null) {
    super();
    const eps = config.layer_norm_epsilon;
    this.ln_1 = new LayerNorm(config.n_embd, { eps });
    this.attn = new GPT2Attention(config, rng);
    this.ln_2 = new LayerNorm(config.n_embd, { eps });
    this.mlp = new GPT2MLP(config, rng);
  }

  forward(x: Tensor, keyPaddingMask?: Tensor): Tensor {
    const h = add(x, this.attn.forward(this.ln_1.forward(x), keyPaddingMask));
    return add(h, this.mlp.forward(this.ln_2.forward(h)));
  }
}

export class GPT2Model extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: ModuleList<GPT2Block>;
  ln_f: LayerNorm;

  constructor(config: GPT2Config, rng: Generator | null) {
    super();
    const init = rng ? { rng } : { skipInit: true };
    this.wte = new Embedding(config.vocab_size, config.n_embd, init);
    this.wpe = new Embedding(config.n_positions, config.n_embd, init);
    if (rng) {
      normal_(this.wte.weight, rng, 0, config.initializer_range);
      normal_(this.wpe.weight, rng, 0, config.initializer_range);
    }
    this.drop = new Dropout(config.embd_pdrop, rng ?? undefined);
    this.h = new ModuleList(
      Array.from({ length: config.n_layer }, () => new GPT2Block(config, rng)),
    );
    this.ln_f = new LayerNorm(config.n_embd, { eps: config.layer_norm_epsilon });
  }

  /** inputIds int32 [B, T] -> hidden states [B, T, n_embd]. */
  forward(inputIds: Tensor, attentionMask?: Tensor): Tensor {
    if (inputIds.rank !== 2)
      throw new ShapeError(`GPT2Model: inputIds must be [batch, seq], got rank ${inputIds.rank}`);
    const T = inputIds.shape[1];
    const positions = this.wpe.weight.shape[0];
    if (T > positions)
      throw new ShapeError(`GPT2Model: sequence length ${T} exceeds n_positions ${positions}`);
    const pos = slice(this.wpe.weight, 0, 0, T);
    let h = this.drop.forward(add(this.wte.forward(inputIds), pos));
    for (const block of this.h) h = block.forward(h, attentionMask);
    return this.ln_f.forward(h);
  }
}

export interface CausalLMOutput {
  logits: Tensor;
  loss?: Tensor;
}

/** GPT-2 with a language-modelling head tied to the token embedding. */
export class GPT2LMHeadModel extends Module {
  readonly config: GPT2Config;
  transformer: GPT2Model;

  constructor(config: Partial<GPT2Config> = {}, options: { rng?: Generator } = {}) {
    super();
    this.config = gpt2Config(config);
    this.transformer = new GPT2Model(this.config, options.rng ?? null);
  }

  /**
   * Logits [B, T, vocab]; with labels [B, T] also the mean next-token cross-entropy (labels are
   * shifted inside, as Hugging Face does; -100 labels are ignored).
   */
  forward({
    inputIds,
    attentionMask,
    labels,
  }: {
    inputIds: Tensor;
    attentionMask?: Tensor;
    labels?: Tensor;
  }): CausalLMOutput {
    const hidden = this.transformer.forward(inputIds, attentionMask);
    const logits = matmul(hidden, this.transformer.wte.weight, { transB: true });
    if (!labels) return { logits };
    const [B, T, V] = logits.shape;
    const shiftedLogits = reshape(slice(logits, 1, 0, T - 1), [B * (T - 1), V]);
    const shiftedLabels = reshape(slice(labels, 1, 1, T), [B * (T - 1)]);
    return { logits, loss: crossEntropy(shiftedLogits, shiftedLabels) };
  }
}
