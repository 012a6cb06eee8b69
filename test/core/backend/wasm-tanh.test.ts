import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendFor, setBackend } from '../../../src/core/backend/index.js';
import { jsBackend } from '../../../src/core/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { KERNEL_FILES } from '../../../src/core/backend/wasm/locate.js';
import { Generator, linear, linearActivation, randn, tanh } from '../../../src/index.js';

/** The wasm tanh kernels evaluate the js formula in the same order: the same bits, not just close. */
function sameBits(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) {
      differ++;
      if (first < 0) first = i;
    }
  }
  if (differ > 0)
    expect.fail(`${differ} elements differ, first ${first}: ${got[first]} vs ${want[first]}`);
}

const rng = new Generator(7);
const grid = Float32Array.from({ length: 24001 }, (_, i) => -12 + i * 1e-3);
const specials = [0, -0, NaN, Infinity, -Infinity, 1e-30, -1e-30, 1e30, 7.905311107635498, -8];
const x = Float32Array.from([...grid, ...specials, ...randn([977], rng).data]);

let be: WasmBackend;
beforeAll(async () => {
  const built = KERNEL_FILES.every((f) =>
    existsSync(new URL(`../../../build/${f}`, import.meta.url)),
  );
  if (!built) {
    execFileSync(process.execPath, ['scripts/build-kernels.mjs'], { stdio: 'inherit' });
  }
  be = await createWasmBackend({ threads: 1 });
});
afterAll(() => be.dispose());

describe('wasm tanh kernels', () => {
  // Lengths around the two-lane step: empty, a lone tail element, even and odd.
  it.each([0, 1, 2, 3, 5, 64, x.length])('forward matches js bit for bit (n = %i)', (n) => {
    const xs = x.subarray(0, n);
    const want = new Float32Array(n);
    const got = new Float32Array(n);
    jsBackend.tanh(xs, want);
    be.tanh(xs, got);
    sameBits(got, want);
    const inPlace = xs.slice();
    be.tanh(inPlace, inPlace);
    sameBits(inPlace, want);
  });

  it.each([1, 3, 4096, x.length])('backward matches js bit for bit (n = %i)', (n) => {
    const y = new Float32Array(n);
    jsBackend.tanh(x.subarray(0, n), y);
    const dy = Float32Array.from(randn([n], rng).data);
    dy[0] = NaN;
    const want = new Float32Array(n);
    const got = new Float32Array(n);
    jsBackend.tanhBackward(y, dy, want);
    be.tanhBackward(y, dy, got);
    sameBits(got, want);
    const inPlace = dy.slice(); // dx may be dy
    be.tanhBackward(y, inPlace, inPlace);
    sameBits(inPlace, want);
  });

  it('hands float64 to js (Math.tanh)', () => {
    const xd = Float64Array.from([-3, -0.5, 1e-8, 0.7, 4]);
    const out = new Float64Array(5);
    be.tanh(xd, out);
    xd.forEach((v, i) => expect(out[i]).toBe(Math.tanh(v)));
  });

  it('runs the tanh op and the fused linear+tanh, forward and backward', () => {
    const prev = backendFor('float32');
    setBackend(be);
    try {
      const g = new Generator(3);
      const z = randn([64, 64], g).requiresGrad_();
      const dy = randn([64, 64], g);
      const y = tanh(z);
      y.backward(dy);
      const want = new Float32Array(4096);
      jsBackend.tanh(z.data as Float32Array, want);
      sameBits(y.data as Float32Array, want);
      const dz = new Float32Array(4096);
      jsBackend.tanhBackward(want, dy.data as Float32Array, dz);
      sameBits(z.grad!.data as Float32Array, dz);

      const inp = randn([64, 4], g);
      const w = randn([64, 4], g);
      const b = randn([64], g);
      const lin = linear(inp, w, b);
      const fused = linearActivation(inp, w, b, 'tanh');
      jsBackend.tanh(lin.data as Float32Array, want);
      sameBits(fused.data as Float32Array, want);
    } finally {
      setBackend(prev);
    }
  });
});
