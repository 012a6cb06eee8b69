import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError } from '../../../src/core/errors.js';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src/core/io/atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'osmosis-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['writeFileAtomic', writeFileAtomic],
  [
    'writeFileAtomicSync',
    async (p: string, d: Parameters<typeof writeFileAtomicSync>[1]) => writeFileAtomicSync(p, d),
  ],
] as const)('%s', (_name, write) => {
  it('writes bytes, strings and chunks, replacing an existing file', async () => {
    const path = join(dir, 'out.bin');
    await write(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await write(path, 'héllo');
    expect(readFileSync(path, 'utf8')).toBe('héllo');
    await write(path, [new Uint8Array([9]), new Uint8Array(0), new Uint8Array([8, 7])]);
    expect([...readFileSync(path)]).toEqual([9, 8, 7]);
    await write(path, []);
    expect(readFileSync(path).byteLength).toBe(0);
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });

  it('writes chunks that are views into larger buffers', async () => {
    const path = join(dir, 'views.bin');
    const big = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    await write(path, [big.subarray(2, 4), big.subarray(6)]);
    expect([...readFileSync(path)]).toEqual([2, 3, 6, 7]);
  });

  it('fails with a CheckpointError naming the path when the directory is missing', async () => {
    const path = join(dir, 'missing', 'out.bin');
    const err = await write(path, 'x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(/ENOENT/);
    expect((err as Error).cause).toBeDefined();
  });

  it('removes its temp file when the rename fails, and leaves the target alone', async () => {
    const path = join(dir, 'target');
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), 'k');
    await expect(write(path, 'data')).rejects.toThrow(CheckpointError);
    await expect(write(path, 'data')).rejects.toThrow(path);
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readdirSync(path)).toEqual(['keep']);
  });
});

it('concurrent writers to one path each leave a complete file', async () => {
  const path = join(dir, 'race.txt');
  const versions = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(1000));
  await Promise.all(versions.map((v) => writeFileAtomic(path, v)));
  expect(versions).toContain(readFileSync(path, 'utf8'));
  expect(readdirSync(dir)).toEqual(['race.txt']);
});
