// Compiles assembly/ (AssemblyScript) to build/kernels.wasm with the asc from node_modules.
//
// Flags, and why:
//   -O3 --noAssert          speed; the kernels validate nothing themselves (the TS side does)
//   --enable simd,threads   f32x4 kernels; atomics + shared memory so every worker thread
//                           instantiates the module on the same memory
//   --importMemory --sharedMemory --maximumMemory 65536
//                           JS creates one shared WebAssembly.Memory (max 4 GiB, the wasm32
//                           limit) and hands it to each instance
//   --runtime stub --use abort=
//                           no GC and no abort import: the kernels never allocate, and JS owns the
//                           memory layout above heapBase()
//   --disableWarning 112    AS112 ("exchange of v128 values") flags the f32x4 helpers that
//                           assembly/ files export to each other; the module's own exports
//                           (assembly/index.ts) take and return only i32/f32
// Usage: node scripts/build-kernels.mjs [--wat]   (--wat also writes build/kernels.wat)

import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build', 'kernels.wasm');
// Written under a temporary name, then renamed: a concurrent build or a running test never sees
// a half-written module.
const tmp = `${out}.${process.pid}.tmp`;
await mkdir(dirname(out), { recursive: true });

const args = [
  join(root, 'assembly', 'index.ts'),
  '-O3',
  '--noAssert',
  '--enable',
  'simd,threads',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
  '--runtime',
  'stub',
  '--use',
  'abort=',
  '--disableWarning',
  '112',
  '--outFile',
  tmp,
];
if (process.argv.includes('--wat')) args.push('--textFile', join(root, 'build', 'kernels.wat'));

const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`build-kernels: asc failed: ${error.message}`);
  process.exit(1);
}
await rename(tmp, out);
console.log(`build-kernels: wrote ${out}`);
