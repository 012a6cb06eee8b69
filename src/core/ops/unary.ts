import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { makeUnaryKernel } from './broadcast.js';
import { linear, type LinearOpOptions } from './linear.js';
import { assertFloat, newTensor } from './util.js';

interface UnaryKernels {
  forward(x: FloatArray, out: FloatArray, p: number, q: number): void;
  backward(
    x: FloatArray,
    y: FloatArray,
    g: FloatArray,
    out: FloatArray,
    p: number,
    q: number,
  ): void;
}

/**
 * Loops for an elementwise op from its forward expression in `x` (scalar params p, q) and its
 * derivative expression in `x`, `y` (the output), `g` (the incoming gradient), p and q.
 * `forward32`, when given, replaces the forward loop for float32 arrays (a faster formula that is
 * exact to float32 precision but not to float64). Kernels may run in place (out === x).
 */
function unaryKernels(
  forward: string,
  derivative: string,
  forward32?: (x: Float32Array, out: Float32Array) => void,
): UnaryKernels {
  const fwd = makeUnaryKernel(forward);
  const backward = new Function(
    'X',
    'Y',
    'G',
    'out',
    'p',
    'q',
    `const n = out.length; for (let i = 0; i < n; i++) { const x = X[i], y = Y[i], g = G[i]; out[i] = ${derivative}; }`,
  ) as UnaryKernels['backward'];
  return {
    forward: (x, out, p, q) => {
      if (forward32 && x instanceof Float32Array) forward32(x, out as Float32Array);
      else fwd(x, out, p, q);
    },
    backward,
  };
}

function defineUnary(name: string, k: UnaryKernels) {
  return (x: Tensor, p = 0, q = 0): Tensor => {
    assertFloat(name, x);
    const out = newTensor(x.shape, x.dtype);
    k.forward(x.data as FloatArray, out.data as FloatArray, p, q);
    return record(name, [x], out, (g) => {
      const dx = newTensor(x.shape, g.dtype);
      k.backward(
        x.data as FloatArray,
        out.data as FloatArray,
        g.data as FloatArray,
        dx.data as FloatArray,
        p,
        q,
      );
      return [dx];
    });
  };
}

const define = (name: string, forward: string, derivative: string) =>
  defineUnary(name, unaryKernels(forward, derivative));

export const exp = define('exp', 'Math.exp(x)', 'g * y');
export const log = define('log', 'Math.log(x)', 'g / x');
// tanh for float32: a rational minimax approximation (Eigen's ptanh_float, odd degree 13 over
// even degree 6) on x clamped to +-TANH_CLAMP, beyond which tanh is 1 to float32 precision.
// Evaluated in float64 it stays within 2.4e-7 (4 float32 ulps) of Math.tanh (checked over a
// dense grid in test/core/ops/tanh-f32.test.ts) and runs ~4x faster than Math.tanh, which was
// the largest cost of the small-MLP training step (8192 tanh per step). NaN stays NaN (both
// clamp comparisons are false); float64 keeps Math.tanh for gradient checks.
const TANH_CLAMP = 7.905311107635498;
const [A1, A3, A5, A7, A9, A11, A13] = [
  4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8,
  -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16,
];
const [B0, B2, B4, B6] = [
  4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6,
];

function tanhF32(x: Float32Array, out: Float32Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const c = v < -TANH_CLAMP ? -TANH_CLAMP : v > TANH_CLAMP ? TANH_CLAMP : v;
    const c2 = c * c;
    const num = c * (A1 + c2 * (A3 + c2 * (A5 + c2 * (A7 + c2 * (A9 + c2 * (A11 + c2 * A13))))));
    out[i] = num / (B0 + c2 * (B2 + c2 * (B4 + c2 * B6)));
  }
}

const tanhKernels = unaryKernels('Math.tanh(x)', 'g * (1 - y * y)', tanhF32);
export const tanh = defineUnary('tanh', tanhKernels);
const sigmoidKernels = unaryKernels(
  'x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))',
  'g * y * (1 - y)',
);
export const sigmoid = defineUnary('sigmoid', sigmoidKernels);
const reluKernels = unaryKernels('x > 0 ? x : (x === x ? 0 : x)', 'x > 0 ? g : 0');
export const relu = defineUnary('relu', reluKernels);
/**
 * Activations whose derivative reads only the output (relu's test x > 0 is y > 0), so they may
 * overwrite their input; see linearActivation.
 */
const outputOnly = { tanh: tanhKernels, sigmoid: sigmoidKernels, relu: reluKernels };
export type FusedActivation = keyof typeof outputOnly;

/**
 * activation(linear(x, weight, bias)) for tanh, sigmoid or relu, with the activation written over
 * the linear output in place: linear's backward reads x, the weight and the gradient, never its
 * output, and these derivatives need only the activation's output, so the pair needs one buffer
 * instead of two. Same values, same gradients, same two graph nodes as the unfused pair.
 */
export function linearActivation(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  activation: FusedActivation,
  options: LinearOpOptions = {},
): Tensor {
  const k = Object.hasOwn(outputOnly, activation) ? outputOnly[activation] : undefined;
  if (!k) {
    throw new ValueError(
      `linearActivation: activation must be one of ${Object.keys(outputOnly).join(', ')}, got '${activation}'`,
    );
  }
  const z = linear(x, weight, bias, options);
  const y = z.data as FloatArray;
  k.forward(y, y, 0, 0);
  return record(activation, [z], new Tensor(y, z.shape), (g) => {
    const dz = newTensor(z.shape, g.dtype);
    k.backward(y, y, g.data as FloatArray, dz.data as FloatArray, 0, 0);
    return [dz];
  });
}

export const silu = define(
  'silu',
  'x / (1 + Math.exp(-x))',
  'g * (1 / (1 + Math.exp(-x))) * (1 + x * (1 - 1 / (1 + Math.exp(-x))))',
);
export const sqrt = define('sqrt', 'Math.sqrt(x)', 'g * 0.5 / y');
export const rsqrt = define('rsqrt', '1 / Math.sqrt(x)', 'g * -0.5 * y / x');
/** |x|; the gradient at 0 is 0, as in PyTorch. */
export const abs = define('abs', 'Math.abs(x)', 'x > 0 ? g : (x < 0 ? -g : 0)');
export const square = define('square', 'x * x', 'g * 2 * x');
export const sin = define('sin', 'Math.sin(x)', 'g * Math.cos(x)');
export const cos = define('cos', 'Math.cos(x)', '-g * Math.sin(x)');
// Exponent 0 has a zero gradient everywhere (torch), not 0 * x^-1 = NaN at x = 0.
const powScalarOp = define(
  'powScalar',
  'Math.pow(x, p)',
  'p === 0 ? 0 : g * p * Math.pow(x, p - 1)',
);
const scaleOp = define('scale', 'x * p', 'g * p');
const addScalarOp = define('addScalar', 'x + p', 'g');
const leakyReluOp = define('leakyRelu', 'x > 0 ? x : x * p', 'x > 0 ? g : g * p');
const eluOp = define('elu', 'x > 0 ? x : p * (Math.exp(x) - 1)', 'x > 0 ? g : g * (y + p)');
/** Clamp to [p, q]; gradient passes where p <= x <= q (as torch.clamp). */
const clampOp = define('clamp', 'x < p ? p : (x > q ? q : x)', 'x >= p && x <= q ? g : 0');

export function powScalar(x: Tensor, exponent: number): Tensor {
  return powScalarOp(x, exponent);
}

export function scale(x: Tensor, factor: number): Tensor {
  return scaleOp(x, factor);
}

export function addScalar(x: Tensor, value: number): Tensor {
  return addScalarOp(x, value);
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return leakyReluOp(x, negativeSlope);
}

export function elu(x: Tensor, alpha = 1): Tensor {
  return eluOp(x, alpha);
}

export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (min > max) throw new ValueError(`clamp: min ${min} is greater than max ${max}`);
  return clampOp(x, min, max);
}

/** GELU, exact (erf) by default or with the tanh approximation used by GPT-2. */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  assertFloat('gelu', x);
  const out = newTensor(x.shape, x.dtype);
  const backend = backendFor(x.dtype);
  backend.gelu(x.data as FloatArray, out.data as FloatArray, approximate);
  return record('gelu', [x], out, (g) => {
    const dx = newTensor(x.shape, g.dtype);
    backendFor(g.dtype).geluBackward(
      x.data as FloatArray,
      g.data as FloatArray,
      dx.data as FloatArray,
      approximate,
    );
    return [dx];
  });
}
