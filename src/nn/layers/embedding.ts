import {
  embedding,
  IndexError,
  noGrad,
  record,
  zeros,
  type FloatDType,
  type Tensor,
} from '../../core/index.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import { initRng, type InitOptions } from './options.js';

export interface EmbeddingOptions extends InitOptions {
  /** This row starts at zero and receives no gradient (torch's padding_idx); may be negative. */
  paddingIdx?: number;
}

/** A lookup table weight [num, dim] indexed by int32 ids (torch.nn.Embedding), N(0, 1) init. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pad = options.paddingIdx;
    if (
      pad !== undefined &&
      !(Number.isInteger(pad) && pad >= -numEmbeddings && pad < numEmbeddings)
    ) {
      throw new IndexError(
        `Embedding: paddingIdx ${pad} is out of range for ${numEmbeddings} rows`,
      );
    }
    this.paddingIdx = pad === undefined ? null : pad < 0 ? pad + numEmbeddings : pad;
    const dtype: FloatDType = options.dtype ?? 'float32';
    this.weight = new Parameter(zeros([numEmbeddings, embeddingDim], { dtype }));
    const rng = initRng('Embedding', options);
    if (rng) normal_(this.weight, rng);
    if (this.paddingIdx !== null) {
      this.weight.data.fill(
        0,
        this.paddingIdx * embeddingDim,
        (this.paddingIdx + 1) * embeddingDim,
      );
    }
  }

  /** ids int32 of any shape -> [...ids.shape, dim]. */
  forward(ids: Tensor): Tensor {
    const pad = this.paddingIdx;
    if (pad === null) return embedding(this.weight, ids);
    const weight = this.weight;
    const out = noGrad(() => embedding(weight, ids));
    const dim = this.embeddingDim;
    return record('embedding', [weight], out, (g) => {
      const dw = zeros(weight.shape, { dtype: g.dtype });
      for (let i = 0; i < ids.size; i++) {
        const row = ids.data[i];
        if (row === pad) continue;
        const src = i * dim;
        const dst = row * dim;
        for (let j = 0; j < dim; j++) dw.data[dst + j] += g.data[src + j];
      }
      return [dw];
    });
  }

  override extraRepr(): string {
    const pad = this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${pad}`;
  }
}
