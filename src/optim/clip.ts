import { NonFiniteError, Tensor, ValueError } from '../core/index.js';

type Params = Tensor | Iterable<Tensor>;

function withGrads(params: Params): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.filter((p) => p.grad !== null);
}

/**
 * Scale each gradient in place. Autograd may hand two leaves the same gradient storage (x + y
 * gives both the output's gradient), which would then be scaled twice; so every gradient whose
 * storage an earlier one already uses first gets a private copy, before anything is scaled.
 */
function scaleGrads(params: readonly Tensor[], factor: number): void {
  const seen = new Set<ArrayBufferLike>();
  for (const p of params) {
    const g = p.grad!;
    if (seen.has(g.data.buffer)) p.grad = new Tensor(g.data.slice(), g.shape);
    seen.add(p.grad!.data.buffer);
  }
  for (const p of params) {
    const d = p.grad!.data;
    for (let i = 0; i < d.length; i++) d[i] *= factor;
  }
}

export interface ClipGradNormOptions {
  /** Throw NonFiniteError when the total norm is NaN or Inf (torch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all gradients together (normType 2, any p > 0, or
 * Infinity for the max); when it exceeds maxNorm every gradient is scaled in place by
 * maxNorm / (total + 1e-6). Returns the total norm before clipping. Parameters without a gradient
 * are ignored.
 */
export function clipGradNorm(
  params: Params,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) {
    throw new ValueError(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  }
  const ps = withGrads(params);
  if (ps.length === 0) return 0;
  let total = 0;
  for (const p of ps) {
    const d = p.grad!.data;
    if (normType === Infinity) {
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]);
        if (a > total || a !== a) total = a;
      }
    } else if (normType === 2) {
      for (let i = 0; i < d.length; i++) total += d[i] * d[i];
    } else {
      for (let i = 0; i < d.length; i++) total += Math.abs(d[i]) ** normType;
    }
  }
  if (normType === 2) total = Math.sqrt(total);
  else if (normType !== Infinity) total = total ** (1 / normType);
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new NonFiniteError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is ${total}`,
    );
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  // Multiplying by exactly 1 changes nothing; torch multiplies anyway, including by NaN.
  if (!(coef >= 1)) scaleGrads(ps, coef);
  return total;
}

/** torch.nn.utils.clip_grad_value_: clamp every gradient element to [-clipValue, clipValue]. */
export function clipGradValue(params: Params, clipValue: number): void {
  if (!(clipValue >= 0)) {
    throw new ValueError(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  }
  for (const p of withGrads(params)) {
    const d = p.grad!.data;
    for (let i = 0; i < d.length; i++) {
      if (d[i] > clipValue) d[i] = clipValue;
      else if (d[i] < -clipValue) d[i] = -clipValue;
    }
  }
}

/** True when every gradient element is finite (params without a gradient are ignored). */
export function gradsAreFinite(params: Params): boolean {
  for (const p of withGrads(params)) {
    const d = p.grad!.data;
    for (let i = 0; i < d.length; i++) if (d[i] - d[i] !== 0) return false;
  }
  return true;
}

/** The loss value, or a NonFiniteError naming the step when it is NaN or Inf. */
export function assertFiniteLoss(loss: Tensor | number, step: number): number {
  const value = typeof loss === 'number' ? loss : loss.item();
  if (!Number.isFinite(value)) {
    throw new NonFiniteError(`non-finite loss ${value} at step ${step}`);
  }
  return value;
}
