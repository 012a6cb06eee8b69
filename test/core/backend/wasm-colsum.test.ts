import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend, type Backend } from '../../../src/core/backend/index.js';
import { jsBackend } from '../../../src/core/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { KERNEL_FILES } from '../../../src/core/backend/wasm/locate.js';
import { Generator, mul, randn, sum, tensor } from '../../../src/index.js';

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

describe('wasm addColumnSums (bias gradients)', () => {
  // Column counts around the four-lane step, and the mlp-step shapes.
  it.each([
    [1, 1],
    [3, 5],
    [7, 33],
    [64, 64],
    [64, 2],
    [1000, 7],
  ])('adds the column sums of [%i, %i] into out, bit for bit as js', (rows, cols) => {
    const rng = new Generator(rows * 131 + cols);
    // Magnitudes spread over 1e-3..1e3 so that float32 rounding order matters.
    const x = Float32Array.from(randn([rows * cols], rng).data, (v, i) => v * 10 ** ((i % 7) - 3));
    const start = Float32Array.from(randn([cols], rng).data);
    const want = start.slice();
    const got = start.slice();
    jsBackend.addColumnSums(x, want, rows, cols);
    be.addColumnSums(x, got, rows, cols);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(got).not.toEqual(start);
  });

  it('leaves out as it is for no rows, and names a short operand', () => {
    const out = Float32Array.from([1, 2, 3]);
    be.addColumnSums(new Float32Array(0), out, 0, 3);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    expect(() => be.addColumnSums(new Float32Array(5), out, 2, 3)).toThrow(
      /addColumnSums: 'x' has 5 elements, needs 6/,
    );
  });

  it('hands float64 to js', () => {
    const out = new Float64Array(2);
    be.addColumnSums(Float64Array.from([1, 2, 3, 4]), out, 2, 2);
    expect(Array.from(out)).toEqual([4, 6]);
  });

  // backward adds into an existing .grad with this kernel (one row): a second backward on the
  // wasm backend must leave 2 w + x^2, with the same bits as on js.
  it('accumulates .grad in backward, bit for bit as js', () => {
    const rng = new Generator(9);
    const w0 = randn([37, 29], rng).data as Float32Array;
    const x0 = randn([37, 29], rng).data as Float32Array;
    const grads = (backend: Backend): number[] => {
      const before = getBackend();
      setBackend(backend);
      try {
        const w = tensor(w0.slice(), [37, 29], { requiresGrad: true });
        const x = tensor(x0.slice(), [37, 29]);
        sum(mul(w, w)).backward();
        sum(mul(mul(w, x), x)).backward();
        return Array.from(w.grad!.data);
      } finally {
        setBackend(before);
      }
    };
    const got = grads(be);
    got.forEach((v, i) => expect(v).toBeCloseTo(2 * w0[i] + x0[i] * x0[i], 5));
    expect(got).toEqual(grads(jsBackend));
  });
});
