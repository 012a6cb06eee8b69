/**
 * Child process for the crash test: saves version after version of a large safetensors file over
 * one path, printing "saved N" after each, until it is killed. The big tensor is the same bytes in
 * every version (so the loop time is spent writing, not computing); a small tensor and the
 * metadata carry the version number, so the parent can tell versions apart and check consistency.
 *
 * Usage: node --import tsx crash-writer.ts PATH FIRST_VERSION MEGABYTES
 */
import { saveSafetensors } from '../../../src/core/safetensors/index.js';

export function bigTensor(megabytes: number): Float32Array {
  const values = new Float32Array((megabytes * 1024 * 1024) / 4);
  for (let i = 0; i < values.length; i++) values[i] = (i % 9973) * 0.5;
  return values;
}

async function main(): Promise<void> {
  const [path, first, megabytes] = process.argv.slice(2);
  const big = bigTensor(Number(megabytes));
  for (let version = Number(first); ; version++) {
    await saveSafetensors(
      path,
      {
        big: { dtype: 'F32', shape: [big.length], data: big },
        version: { dtype: 'I64', shape: [1], data: new Int32Array([version]) },
      },
      { version: String(version) },
    );
    process.stdout.write(`saved ${version}\n`);
  }
}

if (process.argv[1]?.endsWith('crash-writer.ts')) void main();
