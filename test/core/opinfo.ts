/**
 * The OpInfo harness (after PyTorch's OpInfo and tinygrad's helper_test_op): each op is described
 * once by sample inputs, a plain float64 reference written on nested index loops, and its error
 * cases; runOpInfos turns every entry into tests that check the output shape, dtype and values
 * (float32 and float64 runs), that the op leaves its inputs untouched, and a float64
 * central-difference gradient check for every differentiable input.
 */
import { describe, expect, it } from 'vitest';
import {
  concat,
  Generator,
  gradcheck,
  reshape,
  Tensor,
  type DType,
  type TypedArray,
} from '../../src/index.js';

// ---------------------------------------------------------------------------------------------
// A minimal n-d array for references: row-major data in plain float64 numbers.

export interface Nd {
  shape: number[];
  data: number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** Every multi-index of `shape`, in row-major order. */
export function indices(shape: readonly number[]): number[][] {
  const out: number[][] = [];
  const n = numel(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    out.push([...idx]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function flatIndex(shape: readonly number[], idx: readonly number[]): number {
  let off = 0;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + idx[d];
  return off;
}

export function get(x: Nd, idx: readonly number[]): number {
  return x.data[flatIndex(x.shape, idx)];
}

/** Read x at an index of a (larger) broadcast shape: trailing dims align, size-1 dims repeat. */
export function getB(x: Nd, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  const own = x.shape.map((d, i) => (d === 1 ? 0 : idx[lead + i]));
  return get(x, own);
}

/** The broadcast shape of several shapes (NumPy rules), written out plainly. */
export function bshape(...shapes: (readonly number[])[]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - n + i] ?? 1;
      if (v !== 1) d = v;
    }
    out.push(d);
  }
  return out;
}

export function build(shape: readonly number[], f: (idx: number[]) => number): Nd {
  return { shape: [...shape], data: indices(shape).map(f) };
}

export function ndFrom(t: Tensor): Nd {
  return { shape: [...t.shape], data: Array.from(t.data) };
}

export function map(x: Nd, f: (v: number) => number): Nd {
  return { shape: [...x.shape], data: x.data.map(f) };
}

/**
 * Reduce x over `axes` (non-negative) by f applied to the list of values of each group, in index
 * order; keepDim keeps the reduced dims as 1.
 */
export function reduceRef(
  x: Nd,
  axes: readonly number[],
  keepDim: boolean,
  f: (values: number[]) => number,
): Nd {
  const outShape: number[] = [];
  x.shape.forEach((d, i) => {
    if (!axes.includes(i)) outShape.push(d);
    else if (keepDim) outShape.push(1);
  });
  const groups = new Map<number, number[]>();
  const keyShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  for (const idx of indices(x.shape)) {
    const key = flatIndex(
      keyShape,
      idx.map((v, i) => (axes.includes(i) ? 0 : v)),
    );
    const g = groups.get(key) ?? [];
    g.push(get(x, idx));
    groups.set(key, g);
  }
  const data = indices(keyShape).map((_, k) => f(groups.get(k) ?? []));
  return { shape: outShape, data };
}

/** Normal CDF by Simpson integration of the density: slow, independent of any erf code. */
export function normalCdf(x: number): number {
  const n = 4000;
  const h = x / n;
  const phi = (t: number): number => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
  let s = phi(0) + phi(x);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * phi(i * h);
  return 0.5 + (s * h) / 3;
}

// ---------------------------------------------------------------------------------------------
// The table's types.

export type RunDType = 'float32' | 'float64' | 'int32';

export interface InputSpec {
  kind: 'float' | 'int';
  shape: number[];
  /** Explicit values (row-major); otherwise drawn uniformly from range. */
  values?: number[];
  range?: [number, number];
  /** Round drawn values to integers (to create ties). */
  integers?: boolean;
  /** Whether the gradient check covers this input (floats only). */
  grad: boolean;
}

/** A float input in the run's dtype, differentiable unless grad: false. */
export function F(
  shape: number[],
  options: { range?: [number, number]; values?: number[]; grad?: boolean; integers?: boolean } = {},
): InputSpec {
  return { kind: 'float', shape, grad: options.grad ?? true, ...options };
}

/** A float input in the run's dtype that the gradient check leaves alone (masks, targets). */
export function C(
  shape: number[],
  options: { range?: [number, number]; values?: number[]; integers?: boolean } = {},
): InputSpec {
  return F(shape, { ...options, grad: false });
}

/** An int32 input: explicit values, or integers drawn from [lo, hi]. */
export function I(shape: number[], values: number[] | { range: [number, number] }): InputSpec {
  return Array.isArray(values)
    ? { kind: 'int', shape, values, grad: false }
    : { kind: 'int', shape, range: values.range, integers: true, grad: false };
}

export interface Sample<A> {
  name: string;
  inputs: InputSpec[];
  args: A;
  /** Runs to make; default float32 and float64. */
  dtypes?: RunDType[];
  /** Gradient check this sample (default: the op's `grad`). */
  grad?: boolean;
}

export interface Tol {
  atol: number;
  rtol: number;
}

export interface ErrorCase {
  name: string;
  fn: () => unknown;
  error: abstract new (...args: never[]) => Error;
  message: RegExp;
}

export interface OpInfo<A> {
  name: string;
  op: (xs: Tensor[], args: A) => Tensor | Tensor[];
  ref: (xs: Nd[], args: A) => Nd | Nd[];
  samples: Sample<A>[];
  /** Output dtype for a run dtype (default: the run dtype). */
  outDtype?: (run: RunDType) => DType;
  /** Whether the op is differentiable (default true). */
  grad?: boolean;
  tol?: Partial<Record<RunDType, Tol>>;
  gradTol?: { atol?: number; rtol?: number; eps?: number };
  errors?: ErrorCase[];
}

/** Keeps each entry's args typed while the table holds entries of different arg types. */
export function defineOp<A>(info: OpInfo<A>): OpInfo<unknown> {
  return info as unknown as OpInfo<unknown>;
}

const DEFAULT_TOL: Record<RunDType, Tol> = {
  float32: { atol: 1e-5, rtol: 1e-5 },
  float64: { atol: 1e-11, rtol: 1e-10 },
  int32: { atol: 0, rtol: 0 },
};

// ---------------------------------------------------------------------------------------------
// Running the table.

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Base float64 values for each input of a sample, drawn once so every run sees the same data. */
function baseValues(opName: string, sample: Sample<unknown>): number[][] {
  const rng = new Generator(hashName(`${opName}/${sample.name}`));
  return sample.inputs.map((spec) => {
    const n = numel(spec.shape);
    if (spec.values) {
      if (spec.values.length !== n) {
        throw new Error(`opinfo ${opName}/${sample.name}: ${spec.values.length} values for ${n}`);
      }
      return [...spec.values];
    }
    const [lo, hi] = spec.range ?? [-2, 2];
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = rng.uniformRange(lo, hi + (spec.integers ? 1 : 0));
      out.push(spec.integers ? Math.min(hi, Math.floor(v)) : v);
    }
    return out;
  });
}

function makeTensor(spec: InputSpec, values: number[], run: RunDType, grad: boolean): Tensor {
  const dtype: DType = spec.kind === 'int' ? 'int32' : run;
  const data: TypedArray =
    dtype === 'float32'
      ? Float32Array.from(values)
      : dtype === 'float64'
        ? Float64Array.from(values)
        : Int32Array.from(values.map((v) => Math.round(v)));
  return new Tensor(data, spec.shape, grad && spec.grad && spec.kind === 'float');
}

function asList<T>(x: T | T[]): T[] {
  return Array.isArray(x) ? x : [x];
}

function close(actual: number, expected: number, tol: Tol): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= tol.atol + tol.rtol * Math.abs(expected);
}

/** Shape, then every value, with the first mismatch named in the failure. */
export function expectClose(actual: Tensor, expected: Nd, tol: Tol, label = ''): void {
  expect([...actual.shape], `${label} shape`).toEqual(expected.shape);
  const round = actual.dtype === 'float32' ? Math.fround : (v: number) => v;
  for (let i = 0; i < expected.data.length; i++) {
    const e = round(expected.data[i]);
    const a = actual.data[i];
    if (!close(a, e, tol)) {
      expect.fail(`${label} element ${i}: got ${a}, expected ${e} (tol ${JSON.stringify(tol)})`);
    }
  }
}

function checkValues(info: OpInfo<unknown>, sample: Sample<unknown>, run: RunDType): void {
  const base = baseValues(info.name, sample);
  const xs = sample.inputs.map((spec, i) => makeTensor(spec, base[i], run, false));
  const before = xs.map((x) => Array.from(x.data));
  const outs = asList(info.op(xs, sample.args));
  const refs = asList(info.ref(xs.map(ndFrom), sample.args));
  expect(outs.length, 'number of outputs').toBe(refs.length);
  const dtype = info.outDtype ? info.outDtype(run) : run;
  const tol = info.tol?.[run] ?? DEFAULT_TOL[run];
  outs.forEach((out, i) => {
    expect(out.dtype, `output ${i} dtype`).toBe(dtype);
    expectClose(out, refs[i], tol, `output ${i}`);
  });
  xs.forEach((x, i) => expect(Array.from(x.data), `input ${i} left unchanged`).toEqual(before[i]));
}

function checkGrad(info: OpInfo<unknown>, sample: Sample<unknown>): void {
  const base = baseValues(info.name, sample);
  const xs = sample.inputs.map((spec, i) => makeTensor(spec, base[i], 'float64', true));
  const fn = (...ts: Tensor[]): Tensor => {
    const outs = asList(info.op(ts, sample.args));
    return outs.length === 1 ? outs[0] : concat(outs.map((o) => reshape(o, [-1])));
  };
  const result = gradcheck(fn, xs, info.gradTol ?? {});
  expect(result.ok, `gradcheck failure ${JSON.stringify(result.failure)}`).toBe(true);
}

/** Assert fn throws an instance of `error` whose message matches `message`. */
export function expectError(
  fn: () => unknown,
  error: abstract new (...args: never[]) => Error,
  message: RegExp,
): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a throw').toBeInstanceOf(error);
  expect((thrown as Error).message).toMatch(message);
}

/** One describe per op: a test per sample and run dtype, a gradient check, each error case. */
export function runOpInfos(infos: OpInfo<unknown>[]): void {
  for (const info of infos) {
    describe(info.name, () => {
      for (const sample of info.samples) {
        for (const run of sample.dtypes ?? ['float32', 'float64']) {
          it(`${sample.name} [${run}]`, () => checkValues(info, sample, run));
        }
        const differentiable = sample.inputs.some((s) => s.kind === 'float' && s.grad);
        if ((sample.grad ?? info.grad ?? true) && differentiable) {
          it(`${sample.name} gradcheck`, () => checkGrad(info, sample));
        }
      }
      for (const e of info.errors ?? []) {
        it(`error: ${e.name}`, () => expectError(e.fn, e.error, e.message));
      }
    });
  }
}
