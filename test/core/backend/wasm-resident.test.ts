import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../../src/core/backend/index.js';
import { jsBackend } from '../../../src/core/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { Generator, mseLoss, randn, ShapeError } from '../../../src/core/index.js';
import { MLP } from '../../../src/nn/index.js';
import { Adam } from '../../../src/optim/index.js';

/** Seeded uniform [lo, hi) floats from the project's generator. */
function rand(len: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = new Generator(seed);
  return Float32Array.from({ length: len }, () => lo + (hi - lo) * rng.uniform());
}

function close(got: Float32Array, want: Float32Array, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      expect.fail(`element ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
}

let be: WasmBackend;

beforeAll(async () => {
  if (!existsSync(new URL('../../../build/kernels.wasm', import.meta.url))) {
    execFileSync(process.execPath, ['scripts/build-kernels.mjs'], { stdio: 'inherit' });
  }
  be = await createWasmBackend({ threads: 2 });
});
afterAll(() => be.dispose());

/** A resident array holding a copy of x. */
function resident(x: Float32Array): Float32Array {
  const r = be.residentArray!(x.length);
  r.set(x);
  return r;
}

const placements = ['input', 'output', 'both', 'same array'] as const;

describe('wasm resident arrays', () => {
  it('are zeroed views of the wasm memory, and reject a bad size', () => {
    const r = be.residentArray!(1000);
    expect(r.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(r.every((v) => v === 0)).toBe(true);
    expect(be.residentArray!(0).length).toBe(0);
    expect(() => be.residentArray!(-1)).toThrow(ShapeError);
    expect(() => be.residentArray!(1.5)).toThrow(/residentArray: size/);
  });

  it.each(placements)('row kernels match js with the %s resident', (where) => {
    const rows = 9;
    const cols = 70;
    const n = rows * cols;
    const x = rand(n, 1, -4, 4);
    const dy = rand(n, 2);
    const y = new Float32Array(n);
    jsBackend.softmaxRows(x, y, rows, cols);
    const cases: [string, (a: Float32Array, out: Float32Array) => void][] = [
      ['softmax', (a, o) => be.softmaxRows(a, o, rows, cols)],
      ['logSoftmax', (a, o) => be.logSoftmaxRows(a, o, rows, cols)],
      ['gelu', (a, o) => be.gelu(a, o, 'tanh')],
      ['tanh', (a, o) => be.tanh(a, o)],
      ['softmaxBackward', (a, o) => be.softmaxBackwardRows(y, a, o, rows, cols)],
      ['geluBackward', (a, o) => be.geluBackward(x, a, o, 'none')],
      ['tanhBackward', (a, o) => be.tanhBackward(y, a, o)],
    ];
    const reference: Record<string, (a: Float32Array, o: Float32Array) => void> = {
      softmax: (a, o) => jsBackend.softmaxRows(a, o, rows, cols),
      logSoftmax: (a, o) => jsBackend.logSoftmaxRows(a, o, rows, cols),
      gelu: (a, o) => jsBackend.gelu(a, o, 'tanh'),
      tanh: (a, o) => jsBackend.tanh(a, o),
      softmaxBackward: (a, o) => jsBackend.softmaxBackwardRows(y, a, o, rows, cols),
      geluBackward: (a, o) => jsBackend.geluBackward(x, a, o, 'none'),
      tanhBackward: (a, o) => jsBackend.tanhBackward(y, a, o),
    };
    for (const [name, run] of cases) {
      const input = name.endsWith('Backward') ? dy : x;
      const want = new Float32Array(n);
      reference[name](input, want);
      const a = where === 'output' ? input.slice() : resident(input);
      const out =
        where === 'same array' ? a : where === 'input' ? new Float32Array(n) : be.residentArray!(n);
      run(a, out);
      close(out, want);
      // An input that is not also the output is left as it was.
      if (where !== 'same array') expect(a).toEqual(input);
    }
  });

  it.each(placements)('layerNorm forward and backward match js with the %s resident', (where) => {
    const rows = 6;
    const cols = 37;
    const n = rows * cols;
    const x = rand(n, 3, -2, 2);
    const gamma = rand(cols, 4);
    const beta = rand(cols, 5);
    const dy = rand(n, 6);
    const want = [new Float32Array(n), new Float32Array(rows), new Float32Array(rows)] as const;
    jsBackend.layerNormRows(x, gamma, beta, want[0], want[1], want[2], rows, cols, 1e-5);
    const res = (a: Float32Array) => (where === 'output' ? a.slice() : resident(a));
    const outs = (k: number) => (where === 'input' ? new Float32Array(k) : be.residentArray!(k));
    const xr = res(x);
    const got = [where === 'same array' ? xr : outs(n), outs(rows), outs(rows)] as const;
    be.layerNormRows(xr, res(gamma), res(beta), got[0], got[1], got[2], rows, cols, 1e-5);
    for (let i = 0; i < 3; i++) close(got[i], want[i]);

    const dWant = [new Float32Array(n), rand(cols, 7), rand(cols, 8)] as const;
    jsBackend.layerNormBackwardRows(x, gamma, want[1], want[2], dy, ...dWant, rows, cols);
    const dyr = res(dy);
    const dGot = [where === 'same array' ? dyr : outs(n), res(rand(cols, 7)), res(rand(cols, 8))];
    be.layerNormBackwardRows(
      x,
      gamma,
      want[1],
      want[2],
      dyr,
      dGot[0],
      dGot[1],
      dGot[2],
      rows,
      cols,
    );
    for (let i = 0; i < 3; i++) close(dGot[i], dWant[i]);
  });

  it('accumulates column sums into a resident output', () => {
    const x = rand(50 * 12, 9);
    const want = rand(12, 10);
    const got = resident(want);
    jsBackend.addColumnSums(x, want, 50, 12);
    be.addColumnSums(resident(x), got, 50, 12);
    close(got, want);
  });

  it('runs gemm on resident operands, even a C overlapping A', () => {
    const [m, n, k] = [40, 24, 33];
    const a = rand(m * k, 11);
    const b = rand(k * n, 12);
    const c0 = rand(m * n, 13);
    const args = { batch: 1, m, n, k, transA: false, transB: false };
    const strides = { strideA: 0, strideB: 0, strideC: 0, alpha: 1 };
    for (const beta of [0, 1]) {
      const want = c0.slice();
      jsBackend.gemm(a, b, want, { ...args, ...strides, beta });
      const got = resident(c0);
      be.gemm(resident(a), resident(b), got, { ...args, ...strides, beta });
      close(got, want);
    }
    // C written over the start of A: k beyond one 384-deep block makes the kernel read A again
    // after writing C, so C must go to a copy.
    const big = { ...args, m: 250, k: 400, ...strides, beta: 0 };
    const a2 = rand(250 * 400, 14);
    const b2 = rand(400 * n, 15);
    const buf = resident(a2);
    const want = new Float32Array(250 * n);
    jsBackend.gemm(a2, b2, want, big);
    be.gemm(buf, b2, buf.subarray(0, 250 * n), big);
    close(buf.subarray(0, 250 * n), want, 1e-4);
  });

  it('updates resident Adam state in place, also after the memory grew', () => {
    const n = 2049;
    const p = [rand(n, 14), rand(n, 14)];
    const m = [new Float32Array(n), be.residentArray!(n)];
    const v = [new Float32Array(n), be.residentArray!(n)];
    for (let step = 1; step <= 4; step++) {
      // A 16 MB operand grows the memory: the state made before must still be used in place.
      if (step === 3) be.gelu(new Float32Array(4 << 20), new Float32Array(4 << 20), 'tanh');
      const g = rand(n, 20 + step, -2, 2);
      const args = {
        lr: 1e-2,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        decoupled: false,
        step,
      };
      jsBackend.adamStep(p[0], g, m[0], v[0], args);
      be.adamStep(p[1], g, m[1], v[1], args);
    }
    close(p[1], p[0]);
    close(m[1], m[0]);
    close(v[1], v[0]);
  });
});

describe('Adam on the wasm backend', () => {
  const train = (opt: Adam, net: MLP, steps: number, seed: number) => {
    const rng = new Generator(seed);
    for (let s = 0; s < steps; s++) {
      opt.zeroGrad();
      mseLoss(net.forward(randn([8, 4], rng)), randn([8, 2], rng)).backward();
      opt.step();
    }
  };
  const weights = (net: MLP) => net.parameters().map((p) => Float32Array.from(p.data));

  it('keeps its moments resident, matches js, and saves and restores them', () => {
    const prev = getBackend();
    try {
      const nets = [0, 1].map(() => new MLP([4, 16, 2], { rng: new Generator(3) }));
      const onJs = new Adam(nets[0].parameters(), { lr: 1e-2 });
      train(onJs, nets[0], 5, 7);
      setBackend(be);
      const onWasm = new Adam(nets[1].parameters(), { lr: 1e-2 });
      train(onWasm, nets[1], 5, 7);
      for (const st of onWasm.state.values()) {
        expect(st.expAvg.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(st.expAvgSq.buffer).toBeInstanceOf(SharedArrayBuffer);
      }
      weights(nets[1]).forEach((w, i) => close(w, weights(nets[0])[i], 1e-5));

      // The snapshot is a plain copy; a fresh optimizer loaded from it continues identically.
      const sd = onWasm.stateDict();
      const saved = sd.state['0'].expAvg as Float32Array;
      expect(saved.buffer).not.toBeInstanceOf(SharedArrayBuffer);
      const copy = new MLP([4, 16, 2], { rng: new Generator(99) });
      copy.parameters().forEach((p, i) => p.data.set(nets[1].parameters()[i].data));
      const resumed = new Adam(copy.parameters(), { lr: 1e-2 });
      resumed.loadStateDict(sd);
      train(onWasm, nets[1], 3, 8);
      train(resumed, copy, 3, 8);
      weights(copy).forEach((w, i) => expect(w).toEqual(weights(nets[1])[i]));
    } finally {
      setBackend(prev);
    }
  });
});
