import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../../src/core/backend/js.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { Generator, randn } from '../../../src/index.js';

let be: WasmBackend;
beforeAll(async () => {
  const built = ['kernels.wasm', 'kernels-unshared.wasm'].every((f) =>
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
});
