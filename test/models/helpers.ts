import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { Tensor } from '../../src/core/index.js';
import type { PreTrainedModel } from '../../src/models/index.js';

export const FIXTURES = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'models',
);

export interface FixtureTensor {
  shape: number[];
  data: number[];
}

export interface GoldenCase {
  name: string;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor | number | Record<string, number>>;
}

export interface Golden {
  architecture: string;
  cases: GoldenCase[];
}

export function fixtureDir(name: string): string {
  return join(FIXTURES, name);
}

export function readGolden(name: string): Golden {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Golden;
}

export function ids(t: FixtureTensor): Tensor {
  return new Tensor(Int32Array.from(t.data), t.shape);
}

export function floats(t: FixtureTensor): Tensor {
  return new Tensor(Float32Array.from(t.data), t.shape);
}

/** Largest |a - b| / (atol + rtol |b|); <= 1 means within tolerance. */
export function maxScaledError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return a.length === b.length ? worst : Infinity;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'osmosis-models-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Collect warnings instead of printing them. */
export function warnings(): { list: string[]; onWarning: (m: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (m) => list.push(m) };
}

/** Root mean square of the values (the std of zero-mean weights). */
export function rms(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i] * data[i];
  return Math.sqrt(s / data.length);
}

/** Small configs for models built in tests. */
export const tiny = {
  gpt2: { vocab_size: 50, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2 },
  bert: {
    vocab_size: 50,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 16,
  },
  llama: {
    vocab_size: 50,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
  },
};

/** Temporary directories removed after each test of the calling file. */
export function tempDirs(): () => string {
  let cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups) c();
    cleanups = [];
  });
  return () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
}

/** Same state-dict keys, shapes and bytes (so -0 and NaN payloads count too). */
export function expectSameState(a: PreTrainedModel, b: PreTrainedModel): void {
  const sa = a.stateDict();
  const sb = b.stateDict();
  expect([...sb.keys()]).toEqual([...sa.keys()]);
  for (const [k, t] of sa) {
    const u = sb.get(k)!;
    expect(u.shape, k).toEqual(t.shape);
    expect(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength), k).toEqual(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    );
  }
}

export function copyFixture(name: string, dir: string): void {
  for (const f of readdirSync(fixtureDir(name))) {
    copyFileSync(join(fixtureDir(name), f), join(dir, f));
  }
}

export function writeConfig(dir: string, config: Record<string, unknown>): void {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
}
