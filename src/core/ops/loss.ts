import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { IndexError, ShapeError, ValueError } from '../errors.js';
import { formatShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { sub } from './binary.js';
import { mean, sum } from './reduce.js';
import {
  assertFloat,
  assertInt,
  assertSameDtype,
  newTensor,
  outputTensor,
  scalarLike,
} from './util.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (torch's default -100). */
  ignoreIndex?: number;
  /** Mix the one-hot target with a uniform distribution (torch's label_smoothing). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/**
 * Cross-entropy of class-last logits [..., C] against int32 class targets [...], fused with
 * log-softmax for stability. 'mean' averages over non-ignored targets, as PyTorch does.
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  assertFloat('crossEntropy', logits, 'logits');
  assertInt('crossEntropy', targets, 'targets');
  const ignore = options.ignoreIndex ?? -100;
  const eps = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  checkReduction('crossEntropy', reduction);
  if (!(eps >= 0 && eps <= 1))
    throw new ValueError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  if (logits.rank < 1) {
    throw new ShapeError('crossEntropy: logits must have a class dim (last), got a 0-d tensor');
  }
  const C = logits.shape[logits.rank - 1];
  if (!sameShape(logits.shape.slice(0, -1), targets.shape)) {
    throw new ShapeError(
      `crossEntropy: logits ${formatShape(logits.shape)} need targets of shape ${formatShape(logits.shape.slice(0, -1))}, got ${formatShape(targets.shape)}`,
    );
  }
  const rows = targets.size;
  const logp = newTensor(logits.shape, logits.dtype);
  backendFor(logits.dtype).logSoftmaxRows(
    logits.data as FloatArray,
    logp.data as FloatArray,
    rows,
    C,
  );
  const perRow = newTensor(targets.shape, logits.dtype);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets.data[r];
    if (t === ignore) continue;
    if (t < 0 || t >= C) {
      throw new IndexError(
        `crossEntropy: target ${t} at position ${r} is out of range for ${C} classes`,
      );
    }
    count++;
    const o = r * C;
    let loss = -(1 - eps) * logp.data[o + t];
    if (eps > 0) {
      let s = 0;
      for (let c = 0; c < C; c++) s += logp.data[o + c];
      loss -= (eps / C) * s;
    }
    perRow.data[r] = loss;
  }
  let out: Tensor;
  if (reduction === 'none') out = perRow;
  else {
    out = newTensor([], logits.dtype);
    let s = 0;
    for (let r = 0; r < rows; r++) s += perRow.data[r];
    // torch returns NaN for a mean over zero targets (0/0); we do the same.
    out.data[0] = reduction === 'sum' ? s : s / count;
  }
  return record('crossEntropy', [logits], out, (g) => {
    // softmax(logits) = exp(logp) from the backend's row kernel: a per-element Math.exp here
    // was ~8 ms of a gpt-step (512k logits).
    const dx = outputTensor(logits.shape, g.dtype);
    const dd = dx.data as FloatArray;
    backendFor(g.dtype).softmaxRows(logits.data as FloatArray, dd, rows, C);
    const scale = reduction === 'mean' ? 1 / count : 1;
    const hit = 1 - eps + eps / C;
    const miss = eps / C;
    for (let r = 0; r < rows; r++) {
      const t = targets.data[r];
      const o = r * C;
      if (t === ignore) {
        dd.fill(0, o, o + C);
        continue;
      }
      const gr = (reduction === 'none' ? g.data[r] : g.data[0]) * scale;
      for (let c = 0; c < C; c++) dd[o + c] = gr * (dd[o + c] - (c === t ? hit : miss));
    }
    return [dx];
  });
}

/** Reject an unknown reduction before any work, listing the ones the op takes. */
function checkReduction(op: string, reduction: string, allowed = ['mean', 'sum', 'none']): void {
  if (!allowed.includes(reduction)) {
    throw new ValueError(`${op}: unknown reduction '${reduction}'; use ${allowed.join(', ')}`);
  }
}

function reduce(x: Tensor, reduction: Reduction, op: string): Tensor {
  if (reduction === 'none') return x;
  if (reduction === 'sum') return sum(x);
  if (reduction === 'mean') return mean(x);
  throw new ValueError(`${op}: unknown reduction '${reduction as string}'; use mean, sum or none`);
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  assertFloat(op, input, 'input');
  assertSameDtype(op, input, target);
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `${op}: input ${formatShape(input.shape)} and target ${formatShape(target.shape)} differ in shape`,
    );
  }
}

/**
 * Mean squared error as one fused node: the forward sums the squares without storing the
 * difference, and the backward recomputes input - target, so a training step allocates only the
 * loss and the gradients (the small-MLP step used to spend three nodes and six arrays here).
 */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkPair('mseLoss', input, target);
  checkReduction('mseLoss', reduction);
  const x = input.data;
  const t = target.data;
  const n = x.length;
  let out: Tensor;
  if (reduction === 'none') {
    out = newTensor(input.shape, input.dtype);
    const od = out.data;
    for (let i = 0; i < n; i++) {
      const d = x[i] - t[i];
      od[i] = d * d;
    }
  } else {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const d = x[i] - t[i];
      s += d * d;
    }
    // torch returns NaN for the mean of zero elements (0/0); so do we.
    out = scalarLike(reduction === 'mean' ? s / n : s, input);
  }
  return record('mseLoss', [input, target], out, (g) => {
    const dx = input.requiresGrad ? newTensor(input.shape, g.dtype) : null;
    const dt = target.requiresGrad ? newTensor(target.shape, g.dtype) : null;
    const gd = g.data;
    const scale = reduction === 'mean' ? 2 / n : 2;
    for (let i = 0; i < n; i++) {
      const gi = (reduction === 'none' ? gd[i] : gd[0]) * scale * (x[i] - t[i]);
      if (dx) dx.data[i] = gi;
      if (dt) dt.data[i] = -gi;
    }
    return [dx, dt];
  });
}

/** Huber loss (torch.nn.HuberLoss): quadratic within delta, linear beyond. */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  delta = 1,
  reduction: Reduction = 'mean',
): Tensor {
  checkPair('huberLoss', input, target);
  checkReduction('huberLoss', reduction);
  if (!(delta > 0)) throw new ValueError(`huberLoss: delta must be > 0, got ${delta}`);
  const diff = sub(input, target);
  const out = newTensor(input.shape, input.dtype);
  for (let i = 0; i < out.size; i++) {
    const d = Math.abs(diff.data[i]);
    out.data[i] = d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
  }
  const elem = record('huber', [diff], out, (g) => {
    const dx = newTensor(diff.shape, g.dtype);
    for (let i = 0; i < dx.size; i++) {
      const d = diff.data[i];
      dx.data[i] = g.data[i] * (Math.abs(d) < delta ? d : delta * Math.sign(d));
    }
    return [dx];
  });
  return reduce(elem, reduction, 'huberLoss');
}

export interface KlDivOptions {
  reduction?: Reduction | 'batchmean';
  /** Target given as log-probabilities (torch's log_target). */
  logTarget?: boolean;
}

/**
 * KL(target || input) with `input` as log-probabilities (torch.nn.functional.kl_div):
 * pointwise target * (log target - input); 0 where target is 0. 'batchmean' divides by dim 0.
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  checkPair('klDiv', input, target);
  const reduction = options.reduction ?? 'mean';
  checkReduction('klDiv', reduction, ['mean', 'sum', 'none', 'batchmean']);
  const logTarget = options.logTarget ?? false;
  const out = newTensor(input.shape, input.dtype);
  for (let i = 0; i < out.size; i++) {
    const t = target.data[i];
    const x = input.data[i];
    out.data[i] = logTarget ? Math.exp(t) * (t - x) : t > 0 ? t * (Math.log(t) - x) : 0;
  }
  const elem = record('klDiv', [input, target], out, (g) => {
    const dx = newTensor(input.shape, g.dtype);
    const dt = target.requiresGrad ? newTensor(target.shape, g.dtype) : null;
    for (let i = 0; i < dx.size; i++) {
      const t = target.data[i];
      const p = logTarget ? Math.exp(t) : t;
      dx.data[i] = -g.data[i] * p;
      if (dt) {
        dt.data[i] = logTarget
          ? g.data[i] * p * (t - input.data[i] + 1)
          : t > 0
            ? g.data[i] * (Math.log(t) - input.data[i] + 1)
            : 0;
      }
    }
    return [dx, dt];
  });
  if (reduction === 'batchmean') {
    const s = sum(elem);
    const batch = input.rank > 0 ? input.shape[0] : 1;
    const scaled = newTensor([], s.dtype);
    scaled.data[0] = s.data[0] / batch;
    return record('batchmean', [s], scaled, (g) => {
      const d = newTensor([], g.dtype);
      d.data[0] = g.data[0] / batch;
      return [d];
    });
  }
  return reduce(elem, reduction, 'klDiv');
}
