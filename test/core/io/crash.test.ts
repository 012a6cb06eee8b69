/**
 * Kill a writer with SIGKILL in the middle of saving: the final path must always hold a complete
 * file (one of the versions, internally consistent), never a partial one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeInt32, loadSafetensors } from '../../../src/core/safetensors/index.js';
import { bigTensor } from './crash-writer.js';

const MEGABYTES = 32;
const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
// Milliseconds between the child's first completed save and the kill; spread so the kill lands in
// different phases (open, write, fsync, rename) of later saves.
const DELAYS = [0, 7, 23, 61, 131];

const dir = mkdtempSync(join(tmpdir(), 'osmosis-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Load the final path and check it is one complete, self-consistent version; return it. */
async function checkFinal(path: string, expectedBig: Buffer): Promise<number> {
  const file = await loadSafetensors(path);
  const version = Number(file.metadata.version);
  expect(Number.isInteger(version)).toBe(true);
  expect(Array.from(decodeInt32(file.tensors.get('version')!))).toEqual([version]);
  const big = file.tensors.get('big')!;
  expect(big.data.byteLength).toBe(expectedBig.byteLength);
  expect(
    Buffer.compare(
      Buffer.from(big.data.buffer, big.data.byteOffset, big.data.byteLength),
      expectedBig,
    ),
  ).toBe(0);
  return version;
}

describe('SIGKILL during saveSafetensors', () => {
  it('never leaves a partial file under the final name', async () => {
    const path = join(dir, 'model.safetensors');
    const big = bigTensor(MEGABYTES);
    const expectedBig = Buffer.from(big.buffer, big.byteOffset, big.byteLength);
    let leftoverTemps = 0;
    for (const [round, delay] of DELAYS.entries()) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', WRITER, path, String(round * 1_000_000), String(MEGABYTES)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let lastSaved = -1;
      const firstSave = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          for (const m of d.toString().matchAll(/saved (\d+)/g)) lastSaved = Number(m[1]);
          if (lastSaved >= 0) resolve();
        });
        child.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await firstSave;
      // While the child keeps writing, every read of the final path sees a complete version.
      const until = Date.now() + delay;
      do {
        const v = await checkFinal(path, expectedBig);
        expect(v).toBeGreaterThanOrEqual(round * 1_000_000);
      } while (Date.now() < until);
      await sleep(0);
      child.kill('SIGKILL');
      await exited;
      const version = await checkFinal(path, expectedBig);
      // The file holds the last reported version, or the next one if the kill came after its rename.
      expect(version === lastSaved || version === lastSaved + 1).toBe(true);
      const others = readdirSync(dir).filter((f) => f !== 'model.safetensors');
      for (const f of others) expect(f).toMatch(/^\.model\.safetensors\.\d+\.\d+\.tmp$/);
      leftoverTemps += others.length;
      for (const f of others) rmSync(join(dir, f));
    }
    // Informational: how many kills landed mid-write (a temp file was left behind).
    console.info(`crash test: ${leftoverTemps} of ${DELAYS.length} kills interrupted a write`);
  }, 120_000);
});
