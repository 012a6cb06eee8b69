// Compiles assembly/ (AssemblyScript) to build/kernels.wasm with the asc from node_modules.
//
// Flags, and why:
//   -O3 --noAssert          speed; the kernels validate nothing themselves (the TS side does)
//   --enable simd,threads   f32x4 kernels; atomics + shared memory so every worker thread
//                           instantiates the module on the same memory
//   --importMemory --sharedMemory --maximumMemory 65536
//                           JS creates one shared WebAssembly.Memory (max 4 GiB, the wasm32
//                           limit) and hands it to each instance
//   build/kernels-unshared.wasm: the same module without --sharedMemory, for the calls that run on
//                           the main thread alone. V8 copies into and out of a shared memory word
//                           by word (relaxed atomics), ~1 us per 16 KB against ~0.2 for memcpy into
//                           an unshared one, and small kernels are mostly such copies. Atomics
//                           (gemm.ts claims work with one) are valid on unshared memory too.
//   build/kernels-relaxed*.wasm: both again with relaxed-simd enabled, where the GEMM micro-kernel
//                           multiplies and adds with f32x4.relaxed_madd (one fused multiply-add
//                           on FMA hardware); src/core/backend/wasm/features.ts picks them when
//                           the engine validates relaxed SIMD, the plain ones otherwise
//   --runtime stub --use abort=
//                           no GC and no abort import: the kernels never allocate, and JS owns the
//                           memory layout above heapBase()
//   --disableWarning 112    AS112 ("exchange of v128 values") flags the f32x4 helpers that
//                           assembly/ files export to each other; the module's own exports
//                           (assembly/index.ts) take and return only i32/f32
// Usage: node scripts/build-kernels.mjs [--wat]   (--wat also writes build/kernels.wat, shared)

import { mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await mkdir(join(root, 'build'), { recursive: true });

async function build(name, shared, relaxed, wat) {
  const out = join(root, 'build', name);
  // Written under a temporary name, then renamed: a concurrent build or a running test never sees
  // a half-written module.
  const tmp = `${out}.${process.pid}.tmp`;
  const args = [
    join(root, 'assembly', 'index.ts'),
    '-O3',
    '--noAssert',
    '--enable',
    relaxed ? 'simd,threads,relaxed-simd' : 'simd,threads',
    '--importMemory',
    ...(shared ? ['--sharedMemory'] : []),
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
  if (wat) args.push('--textFile', join(root, 'build', 'kernels.wat'));
  const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(`build-kernels: asc failed: ${error.message}`);
    process.exit(1);
  }
  await rename(tmp, out);
  console.log(`build-kernels: wrote ${out}`);
}

// kernels.wasm last: a reader that finds it (what the tests look for) finds all four.
await build('kernels-relaxed-unshared.wasm', false, true, false);
await build('kernels-relaxed.wasm', true, true, false);
await build('kernels-unshared.wasm', false, false, false);
await build('kernels.wasm', true, false, process.argv.includes('--wat'));
