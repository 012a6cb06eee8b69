import { record } from '../autograd.js';
import { backendFor } from '../backend/index.js';
import type { FloatArray } from '../dtype.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { makeUnaryKernel } from './broadcast.js';
import { linear, type LinearOpOptions } from './linear.js';
import { assertFloat, newTensor, outputTensor } from './util.js';

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
 * Kernels may run in place (out === x).
 */
function unaryKernels(forward: string, derivative: string): UnaryKernels {
  const backward = new Function(
    'X',
    'Y',
    'G',
    'out',
    'p',
    'q',
    `const n = out.length; for (let i = 0; i < n; i++) { const x = X[i], y = Y[i], g = G[i]; out[i] = ${derivative}; }`,
  ) as UnaryKernels['backward'];
  return { forward: makeUnaryKernel(forward), backward };
}

function defineUnary(name: string, k: UnaryKernels) {
  return (x: Tensor, p = 0, q = 0): Tensor => {
    assertFloat(name, x);
    // Every kernel writes each element: outputs need no zero fill.
    const out = outputTensor(x.shape, x.dtype);
    k.forward(x.data as FloatArray, out.data as FloatArray, p, q);
    return record(name, [x], out, (g) => {
      const dx = outputTensor(x.shape, g.dtype);
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
// atan has no backend kernel, like exp and log: it runs once per element of a GLOW coupling's
// scale (src/peft/adapter/invertible.ts), far from any hot loop.
export const atan = define('atan', 'Math.atan(x)', 'g / (1 + x * x)');
const backendOf = (x: FloatArray) => backendFor(x instanceof Float32Array ? 'float32' : 'float64');
// tanh runs in the backend (a wasm SIMD kernel by default; see the js backend for the float32
// formula): it was the largest cost of the small-MLP training step after the GEMMs.
const tanhKernels: UnaryKernels = {
  forward: (x, out) => backendOf(x).tanh(x, out),
  backward: (_x, y, g, out) => backendOf(y).tanhBackward(y, g, out),
};
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
    const dz = outputTensor(z.shape, g.dtype);
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
