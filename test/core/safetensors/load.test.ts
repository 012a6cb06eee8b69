import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../../src/core/errors.js';
import {
  decodeFloat32,
  loadSafetensors,
  loadSafetensorsSync,
  readSafetensorsHeader,
  saveSafetensors,
  saveSafetensorsSync,
} from '../../../src/core/safetensors/index.js';
import { rawFile } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'osmosis-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tensors = {
  w: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) },
  b: { dtype: 'BF16', shape: [2], data: new Float32Array([0.5, -0.25]) },
} as const;

describe('files on disk', () => {
  it('saves and loads, async and sync', async () => {
    const a = join(dir, 'a.safetensors');
    const b = join(dir, 'b.safetensors');
    await saveSafetensors(a, tensors, { step: '10' });
    saveSafetensorsSync(b, tensors, { step: '10' });
    for (const file of [await loadSafetensors(a), loadSafetensorsSync(b)]) {
      expect([...file.tensors.keys()]).toEqual(['b', 'w']);
      expect(Array.from(decodeFloat32(file.tensors.get('w')!))).toEqual([1, 2, 3, 4]);
      expect(Array.from(decodeFloat32(file.tensors.get('b')!))).toEqual([0.5, -0.25]);
      expect({ ...file.metadata }).toEqual({ step: '10' });
      // Entries are plain Uint8Array views, not Buffers (whose slice() would share memory).
      expect(Object.getPrototypeOf(file.tensors.get('w')!.data)).toBe(Uint8Array.prototype);
    }
  });

  it('reads the header alone, with the same validation', async () => {
    const path = join(dir, 'h.safetensors');
    await saveSafetensors(path, tensors, { step: '10' });
    const header = await readSafetensorsHeader(path);
    expect(header.headerLength % 8).toBe(0);
    expect(header.dataStart).toBe(8 + header.headerLength);
    expect(header.fileSize).toBe(header.dataStart + 20);
    expect(header.tensors.get('w')).toEqual({
      name: 'w',
      dtype: 'F32',
      shape: [2, 2],
      dataOffsets: [4, 20],
    });
    expect(header.metadata.step).toBe('10');
  });

  it('checks the data section size without reading it', async () => {
    const path = join(dir, 'short.safetensors');
    const header = JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } });
    writeFileSync(path, rawFile(header, 12));
    await expect(readSafetensorsHeader(path)).rejects.toThrow(/run past the 12-byte data section/);
    writeFileSync(path, rawFile(header, 20));
    await expect(readSafetensorsHeader(path)).rejects.toThrow(/4 trailing bytes/);
    writeFileSync(path, new Uint8Array(5));
    await expect(readSafetensorsHeader(path)).rejects.toThrow(/5 bytes, shorter than/);
  });

  it('inspects a 3 GB (sparse) file from its header; loading it whole fails cleanly', async () => {
    const path = join(dir, 'huge.safetensors');
    const size = 3_000_000_000;
    const header = JSON.stringify({ big: { dtype: 'U8', shape: [size], data_offsets: [0, size] } });
    writeFileSync(path, rawFile(header));
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, 8 + header.length + size);
    closeSync(fd);
    const info = await readSafetensorsHeader(path);
    expect(info.tensors.get('big')!.shape).toEqual([size]);
    await expect(loadSafetensors(path)).rejects.toThrow(SafetensorsError);
    await expect(loadSafetensors(path)).rejects.toThrow(/too large to read into memory/);
    rmSync(path);
  });

  it('reports missing files and directories as SafetensorsError', async () => {
    const missing = join(dir, 'nope.safetensors');
    for (const attempt of [
      () => loadSafetensors(missing),
      () => readSafetensorsHeader(missing),
      async () => loadSafetensorsSync(missing),
    ]) {
      await expect(attempt()).rejects.toThrow(SafetensorsError);
      await expect(attempt()).rejects.toThrow(`${missing}: file not found`);
    }
    await expect(loadSafetensors(dir)).rejects.toThrow(`${dir}: is a directory`);
    await expect(readSafetensorsHeader(dir)).rejects.toThrow(`${dir}: is a directory`);
  });
});
