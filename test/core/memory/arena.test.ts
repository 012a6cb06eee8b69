import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crossEntropy,
  Generator,
  jsBackend,
  keep,
  matmul,
  memoryScope,
  poolStats,
  ReleasedTensorError,
  reshape,
  resetPoolStats,
  setBackend,
  slice,
  softmax,
  sum,
  Tensor,
  tensor,
  trimPool,
} from '../../../src/index.js';
import { createWasmBackend, type WasmBackend } from '../../../src/core/backend/wasm/index.js';
import { Arena, arenaOf, setActiveArena } from '../../../src/core/memory/arena.js';
import { GPT2LMHeadModel } from '../../../src/models/gpt2/index.js';
import { Adam, clipGradNorm } from '../../../src/optim/index.js';

/**
 * While a wasm backend is active, new float32 storage (op outputs from the pool, gradients,
 * Adam's state) lives in its memory, where the kernels use it in place. Lifetimes, the pool's
 * release checks and every seeded result must stay as they are with ordinary arrays.
 */
let be: WasmBackend;

beforeAll(async () => {
  be = await createWasmBackend({ threads: 1 });
  setBackend(be);
});
afterAll(() => {
  setBackend(jsBackend);
  be.dispose();
});

const randn = (rng: Generator, shape: number[]) => {
  const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return tensor(data, shape);
};

describe('Arena', () => {
  it('reuses a freed region for the same size only, zero-filled on request', () => {
    const buffer = new ArrayBuffer(1 << 16);
    const arena = new Arena(buffer, 100, 1 << 16);
    const a = arena.take(1000);
    expect(a % 64).toBe(0);
    expect(a).toBeGreaterThanOrEqual(100);
    const b = arena.take(1000);
    expect(b - a).toBeGreaterThanOrEqual(1000 + 64); // room the GEMM may read past a
    new Float32Array(buffer, b, 250).fill(7);
    arena.give(b);
    expect(arena.take(2000)).not.toBe(b);
    const again = arena.array(250, true)!;
    expect(again.byteOffset).toBe(b);
    expect(again.every((v) => v === 0)).toBe(true);
    expect(arena.take(1 << 16)).toBe(-1);
    expect(arena.array(1 << 14, false)).toBeNull();
  });
});

describe('storage in the wasm memory', () => {
  it('holds op outputs inside a scope, with release checks on whole tensors and views', () => {
    const rng = new Generator(1);
    const a = randn(rng, [128, 128]);
    expect(arenaOf(a.data)).toBeNull(); // made by the caller
    expect(arenaOf(matmul(a, a).data)).toBeNull(); // outside a scope: nothing says when it dies
    let inner: Tensor | null = null;
    let rows: Tensor | null = null;
    let resident: unknown = null;
    memoryScope(() => {
      inner = softmax(matmul(a, a), -1);
      rows = slice(inner, 0, 10, 20); // a view into inner's storage, not at its start
      resident = arenaOf(rows.data);
    });
    expect(resident).toBe(be.arena);
    expect(inner!.released).toBe(true);
    expect(rows!.released).toBe(true);
    expect(() => rows!.data).toThrow(ReleasedTensorError);
  });

  it('moves what leaves the last scope (returned or kept) to ordinary buffers', () => {
    const rng = new Generator(4);
    const a = randn(rng, [128, 128]);
    const want = memoryScope(() => Array.from(matmul(a, a).data));
    let whole: Tensor | null = null;
    let kept: Tensor | null = null;
    let inNested: unknown = null;
    const view = memoryScope(() => {
      const out = memoryScope(() => {
        whole = matmul(a, a);
        return slice(whole, 0, 5, 9);
      });
      inNested = arenaOf(out.data); // still inside a scope: stays resident
      kept = keep(matmul(a, a));
      return out;
    });
    expect(inNested).toBe(be.arena);
    for (const t of [view, whole!, kept!]) {
      expect(t.released).toBe(false);
      expect(arenaOf(t.data)).toBeNull();
      // posting it to a worker copies its own buffer, not the wasm memory
      expect(t.data.buffer.byteLength).toBe(128 * 128 * 4);
    }
    memoryScope(() => softmax(matmul(a, a), -1)); // reuses the arena buffers they left
    expect(Array.from(view.data)).toEqual(want.slice(5 * 128, 9 * 128));
    expect(Array.from(whole!.data)).toEqual(want);
    expect(Array.from(kept!.data)).toEqual(want);
  });

  it('moves what a throwing scope made out of the arena, and trimPool gives regions back', () => {
    const a = randn(new Generator(5), [128, 128]);
    const want = memoryScope(() => Array.from(matmul(a, a).data));
    let inner: Tensor | null = null;
    expect(() =>
      memoryScope(() => {
        inner = matmul(a, a);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inner!.released).toBe(false);
    expect(arenaOf(inner!.data)).toBeNull();
    expect(Array.from(inner!.data)).toEqual(want);
    memoryScope(() => matmul(a, a));
    const held = be.arena!.bytesInUse;
    trimPool();
    expect(be.arena!.bytesInUse).toBeLessThan(held);
  });

  it('falls back to ordinary arrays when the arena is full', () => {
    const full = new Arena(new ArrayBuffer(1 << 17), 0, 1 << 17);
    setActiveArena(full);
    try {
      const t = memoryScope(() =>
        sum(
          matmul(
            tensor(new Float32Array(16384), [128, 128]),
            tensor(new Float32Array(16384), [128, 128]),
          ),
        ),
      );
      expect(t.item()).toBe(0);
      const big = memoryScope(() =>
        matmul(randn(new Generator(2), [200, 200]), randn(new Generator(3), [200, 200])),
      );
      expect(arenaOf(big.data)).toBeNull();
    } finally {
      setActiveArena(be.arena ?? null);
    }
  });

  it('a GPT training step gives the same bits with resident storage, allocating nothing after warm-up', () => {
    const train = (resident: boolean) => {
      setActiveArena(resident ? (be.arena ?? null) : null);
      trimPool();
      const rng = new Generator(0);
      const model = new GPT2LMHeadModel(
        { vocab_size: 64, n_positions: 32, n_embd: 64, n_layer: 2, n_head: 2, n_inner: 256 },
        { rng },
      );
      const params = model.parameters();
      const optimizer = new Adam(params, { lr: 1e-2, weightDecay: 0.01 });
      const ids = new Int32Array(8 * 32).map(() => rng.int(64));
      const targets = new Int32Array(8 * 32).map(() => rng.int(64));
      const inputIds = new Tensor(ids, [8, 32]);
      const labels = new Tensor(targets, [256]);
      const losses: number[] = [];
      let inArena = false;
      for (let i = 0; i < 4; i++) {
        if (i === 2) resetPoolStats();
        memoryScope(() => {
          optimizer.zeroGrad({ setToNone: false });
          const { logits } = model.forward({ inputIds });
          inArena = arenaOf(logits.data) !== null;
          const loss = crossEntropy(reshape(logits, [256, 64]), labels);
          loss.backward();
          clipGradNorm(params, 0.5);
          optimizer.step();
          losses.push(loss.item());
        });
      }
      const grads = params.map((p) => arenaOf(p.grad!.data));
      return { losses, weights: params.map((p) => Array.from(p.data)), grads, inArena };
    };
    try {
      const plain = train(false);
      const resident = train(true);
      expect(poolStats().freshAllocations).toBe(0);
      // .grads are the caller's (they may be posted to a worker): ordinary arrays
      expect([...plain.grads, ...resident.grads].every((a) => a === null)).toBe(true);
      expect([plain.inArena, resident.inArena]).toEqual([false, true]);
      expect(resident.losses).toEqual(plain.losses);
      expect(resident.weights).toEqual(plain.weights);
    } finally {
      setActiveArena(be.arena ?? null);
    }
  });
});
