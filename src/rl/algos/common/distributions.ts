import {
  exp,
  gather,
  logSoftmax,
  mul,
  noGrad,
  reshape,
  ShapeError,
  sum,
  Tensor,
  ValueError,
  type Generator,
} from '../../../core/index.js';

/**
 * Action distributions over batches of network outputs (torch.distributions.Categorical and
 * Normal(...).sum(-1), as CleanRL uses them). logProb and entropy are built from tensor ops, so
 * gradients flow back to the logits / mean / log-std; sampling and the mode are outside the graph.
 *
 * Shapes: a batch of B rows. Categorical actions are int32 [B]; Gaussian actions float [B, D].
 * logProb and entropy are [B] (the Gaussian's summed over its D independent dimensions).
 */
export interface ActionDistribution {
  /** One action per row, drawn with `rng` (no gradient). */
  sample(rng: Generator): Tensor;
  /** The most likely action per row (argmax / mean), for deterministic acting. */
  mode(): Tensor;
  /** log p(action) per row: [B]. */
  logProb(actions: Tensor): Tensor;
  /** Entropy per row: [B]. */
  entropy(): Tensor;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** A categorical distribution per row of logits [B, C]. */
export class Categorical implements ActionDistribution {
  readonly logits: Tensor;
  /** Normalised log-probabilities [B, C] (part of the graph). */
  readonly logProbs: Tensor;
  readonly batch: number;
  readonly classes: number;

  constructor(logits: Tensor) {
    if (logits.rank !== 2) {
      throw new ShapeError(
        `Categorical: logits must be [batch, classes], got [${logits.shape.join(', ')}]`,
      );
    }
    this.logits = logits;
    this.batch = logits.shape[0];
    this.classes = logits.shape[1];
    this.logProbs = logSoftmax(logits, -1);
  }

  /** Probabilities [B, C] (no gradient). */
  probs(): Float64Array {
    const lp = this.logProbs.data;
    const out = new Float64Array(lp.length);
    for (let i = 0; i < lp.length; i++) out[i] = Math.exp(lp[i]);
    return out;
  }

  sample(rng: Generator): Tensor {
    const p = this.probs();
    const out = new Int32Array(this.batch);
    const C = this.classes;
    for (let b = 0; b < this.batch; b++) out[b] = rng.categorical(p.subarray(b * C, (b + 1) * C));
    return new Tensor(out, [this.batch]);
  }

  mode(): Tensor {
    const lp = this.logProbs.data;
    const C = this.classes;
    const out = new Int32Array(this.batch);
    for (let b = 0; b < this.batch; b++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (lp[b * C + c] > lp[b * C + best]) best = c;
      out[b] = best;
    }
    return new Tensor(out, [this.batch]);
  }

  logProb(actions: Tensor): Tensor {
    if (actions.dtype !== 'int32' || actions.rank !== 1 || actions.shape[0] !== this.batch) {
      throw new ShapeError(
        `Categorical.logProb: actions must be int32 [${this.batch}], got ${actions.dtype} [${actions.shape.join(', ')}]`,
      );
    }
    const picked = gather(this.logProbs, 1, reshape(actions, [this.batch, 1]));
    return reshape(picked, [this.batch]);
  }

  entropy(): Tensor {
    // -sum p log p; p = exp(logp) keeps the whole expression differentiable.
    const plogp = mul(exp(this.logProbs), this.logProbs);
    return sum(plogp, -1).neg();
  }
}

/**
 * Independent normals per dimension: mean [B, D] and log-std [D] (a state-independent parameter,
 * broadcast over the batch) or [B, D].
 */
export class DiagGaussian implements ActionDistribution {
  readonly mean: Tensor;
  readonly logStd: Tensor;
  readonly batch: number;
  readonly dim: number;

  constructor(mean: Tensor, logStd: Tensor) {
    if (mean.rank !== 2) {
      throw new ShapeError(
        `DiagGaussian: mean must be [batch, dim], got [${mean.shape.join(', ')}]`,
      );
    }
    const [B, D] = mean.shape;
    const okStd =
      (logStd.rank === 1 && logStd.shape[0] === D) ||
      (logStd.rank === 2 && logStd.shape[0] === B && logStd.shape[1] === D);
    if (!okStd) {
      throw new ShapeError(
        `DiagGaussian: logStd must be [${D}] or [${B}, ${D}], got [${logStd.shape.join(', ')}]`,
      );
    }
    if (mean.dtype !== logStd.dtype) {
      throw new ValueError(
        `DiagGaussian: mean is ${mean.dtype} but logStd is ${logStd.dtype}; use one dtype`,
      );
    }
    this.mean = mean;
    this.logStd = logStd;
    this.batch = B;
    this.dim = D;
  }

  private stdAt(b: number, d: number): number {
    const i = this.logStd.rank === 1 ? d : b * this.dim + d;
    return Math.exp(this.logStd.data[i]);
  }

  sample(rng: Generator): Tensor {
    const out = new Float32Array(this.batch * this.dim);
    const m = this.mean.data;
    for (let b = 0; b < this.batch; b++) {
      for (let d = 0; d < this.dim; d++) {
        const i = b * this.dim + d;
        out[i] = m[i] + this.stdAt(b, d) * rng.normal();
      }
    }
    const t = new Tensor(out, [this.batch, this.dim]);
    return this.mean.dtype === 'float32' ? t : t.to(this.mean.dtype);
  }

  mode(): Tensor {
    return this.mean.detach().clone();
  }

  logProb(actions: Tensor): Tensor {
    if (actions.rank !== 2 || actions.shape[0] !== this.batch || actions.shape[1] !== this.dim) {
      throw new ShapeError(
        `DiagGaussian.logProb: actions must be [${this.batch}, ${this.dim}], got [${actions.shape.join(', ')}]`,
      );
    }
    const a = actions.dtype === this.mean.dtype ? actions : actions.to(this.mean.dtype);
    // -(a - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2, summed over dimensions.
    const z = a.sub(this.mean).mul(this.logStd.neg().exp());
    const perDim = z
      .mul(z)
      .mul(-0.5)
      .sub(this.logStd)
      .sub(0.5 * LOG_2PI);
    return sum(perDim, -1);
  }

  entropy(): Tensor {
    const perDim = this.logStd.add(0.5 + 0.5 * LOG_2PI);
    if (this.logStd.rank === 2) return sum(perDim, -1);
    // State-independent std: the same entropy for every row, still differentiable in logStd.
    const total = reshape(sum(perDim), [1]);
    return total.mul(noGrad(() => onesOf(this.batch, this.mean.dtype)));
  }
}

function onesOf(n: number, dtype: Tensor['dtype']): Tensor {
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  data.fill(1);
  return new Tensor(data, [n]);
}
