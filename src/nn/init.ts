/**
 * Weight initialisation in place (torch.nn.init, names in camelCase). Every random initialiser
 * takes an explicit Generator. They write the data directly, outside any autograd graph.
 */
import { formatShape, Generator, ShapeError, Tensor, ValueError } from '../core/index.js';

export type Nonlinearity =
  'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(`calculateGain: unknown nonlinearity '${nonlinearity as string}'`);
  }
}

/** [fanIn, fanOut] of a weight [out, in, ...receptive] (torch's _calculate_fan_in_and_fan_out). */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.rank < 2) {
    throw new ShapeError(
      `calculateFanInAndFanOut: needs a tensor with at least 2 dims, got ${formatShape(t.shape)}`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i];
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fill(t: Tensor, draw: () => number): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = draw();
  return t;
}

export function uniform_(t: Tensor, rng: Generator, a = 0, b = 1): Tensor {
  if (!(a <= b)) throw new ValueError(`uniform_: need a <= b, got [${a}, ${b}]`);
  return fill(t, () => rng.uniformRange(a, b));
}

export function normal_(t: Tensor, rng: Generator, mean = 0, std = 1): Tensor {
  if (!(std >= 0)) throw new ValueError(`normal_: std must be >= 0, got ${std}`);
  return fill(t, () => rng.normal(mean, std));
}

/** N(mean, std) truncated to [a, b] (absolute bounds, as torch.nn.init.trunc_normal_). */
export function truncNormal_(
  t: Tensor,
  rng: Generator,
  options: { mean?: number; std?: number; a?: number; b?: number } = {},
): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2 } = options;
  return fill(t, () => rng.truncatedNormal(mean, std, a, b));
}

export function constant_(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)) (Glorot). */
export function xavierUniform_(t: Tensor, rng: Generator, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, rng, -bound, bound);
}

export function xavierNormal_(t: Tensor, rng: Generator, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, rng, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (torch's `a`). */
  a?: number;
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leaky_relu' } = options;
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  return fan === 0 ? 0 : calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/** U(-b, b) with b = gain * sqrt(3 / fan) (He). Linear's default uses a = sqrt(5). */
export function kaimingUniform_(t: Tensor, rng: Generator, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, rng, -bound, bound);
}

export function kaimingNormal_(t: Tensor, rng: Generator, options: KaimingOptions = {}): Tensor {
  return normal_(t, rng, 0, kaimingStd(t, options));
}

/**
 * A (semi-)orthogonal matrix scaled by gain (torch.nn.init.orthogonal_, the RL agents' layer
 * init): QR of a Gaussian matrix with R's diagonal signs folded into Q, via Householder in float64.
 */
export function orthogonal_(t: Tensor, rng: Generator, gain = 1): Tensor {
  if (t.rank < 2) {
    throw new ShapeError(`orthogonal_: needs at least 2 dims, got ${formatShape(t.shape)}`);
  }
  const rows = t.shape[0];
  const cols = t.size / rows;
  // Work on the tall orientation m x n (m >= n), transposing back at the end, as torch does.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const a = new Float64Array(m * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  const q = householderQ(a, m, n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++)
      t.data[i * cols + j] = gain * (tall ? q[i * n + j] : q[j * n + i]);
  }
  return t;
}

/** The m x n Q of A = QR (A row-major m x n, m >= n), columns signed so diag(R) > 0. */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = a[k * n + k] > 0 ? -norm : norm; // R[k][k] = alpha
    signs[k] = alpha < 0 ? -1 : 1;
    const v = new Float64Array(m);
    for (let i = k; i < m; i++) v[i] = a[i * n + k];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    if (vv > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i] * a[i * n + j];
        const f = (2 * dot) / vv;
        for (let i = k; i < m; i++) a[i * n + j] -= f * v[i];
      }
    }
    vs.push(vv > 0 ? v.map((x) => x / Math.sqrt(vv)) : v);
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * q[i * n + j];
      for (let i = k; i < m; i++) q[i * n + j] -= 2 * dot * v[i];
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] *= signs[j];
  return q;
}
