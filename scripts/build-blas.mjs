#!/usr/bin/env node
// Builds the optional OpenBLAS addon (native/blas) when the system has OpenBLAS and Node headers.
// Runs during `npm ci` (prepare), so it never fails: anything missing or a failed compile prints
// one warning line and exits 0, and the blas backend then reports itself unavailable.
//
// Overrides: OSMOSIS_BLAS_INCLUDE (folder with cblas.h), OSMOSIS_BLAS_LIB (folder with
// libopenblas), OSMOSIS_SKIP_BLAS=1 (do not build). Nothing is downloaded: node-gyp is npm's own
// and is pointed at local Node headers with --nodedir.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(root, 'native', 'blas');
const addonFile = join(addonDir, 'build', 'Release', 'osmosis_blas.node');
const env = process.env;

function skip(reason) {
  console.log(`osmosis: ${reason}; the optional blas backend is skipped`);
  process.exit(0);
}

/** Folders from `pkg-config openblas` (flag is -I or -L); none when pkg-config is absent. */
function pkgConfigDirs(flag) {
  const query = flag === '-I' ? '--cflags-only-I' : '--libs-only-L';
  const r = spawnSync('pkg-config', [query, 'openblas'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) return [];
  return r.stdout
    .split(/\s+/)
    .filter((s) => s.startsWith(flag))
    .map((s) => resolve(s.slice(2)));
}

/** Debian/Ubuntu multiarch folders (x86_64-linux-gnu, aarch64-linux-gnu, ...) under base. */
function multiarch(base) {
  try {
    return readdirSync(base)
      .filter((d) => /-linux-gnu/.test(d))
      .map((d) => join(base, d));
  } catch {
    return [];
  }
}

/** Each folder with the OpenBLAS flavours Debian installs side by side, preferring pthread. */
function withFlavours(dirs) {
  const flavours = ['openblas-pthread', 'openblas-openmp', 'openblas-serial'];
  return dirs.flatMap((d) => [...flavours.map((f) => join(d, f)), d]);
}

function includeCandidates() {
  if (env.OSMOSIS_BLAS_INCLUDE) return [env.OSMOSIS_BLAS_INCLUDE];
  return [
    ...pkgConfigDirs('-I'),
    ...withFlavours(multiarch('/usr/include')),
    '/usr/include/openblas',
    '/usr/include',
    '/usr/local/include',
    '/opt/homebrew/opt/openblas/include',
    '/usr/local/opt/openblas/include',
    '/opt/OpenBLAS/include',
  ];
}

function libCandidates() {
  if (env.OSMOSIS_BLAS_LIB) return [env.OSMOSIS_BLAS_LIB];
  return [
    ...pkgConfigDirs('-L'),
    ...withFlavours(multiarch('/usr/lib')),
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/opt/homebrew/opt/openblas/lib',
    '/usr/local/opt/openblas/lib',
    '/opt/OpenBLAS/lib',
  ];
}

const libNames = ['libopenblas.so', 'libopenblas.dylib'];
const findDir = (dirs, names) => dirs.find((d) => names.some((n) => existsSync(join(d, n))));

/** npm's bundled node-gyp: npm exports its path to scripts; else look beside npm or node. */
function findNodeGyp() {
  const rel = join('node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const candidates = [
    env.npm_config_node_gyp,
    env.npm_execpath && resolve(dirname(env.npm_execpath), '..', rel),
    resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', rel),
  ];
  return candidates.find((p) => p && existsSync(p));
}

/** A Node prefix whose include/node has node_api.h, so node-gyp needs no header download. */
function findNodeDir() {
  const candidates = [env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr'];
  return candidates.find((p) => p && existsSync(join(p, 'include', 'node', 'node_api.h')));
}

if (env.OSMOSIS_SKIP_BLAS === '1') skip('OSMOSIS_SKIP_BLAS=1 is set');
if (process.platform === 'win32') skip('Windows is not supported by the blas build');

const include = findDir(includeCandidates(), ['cblas.h']);
const libDir = findDir(libCandidates(), libNames);
if (!include || !libDir) skip('system OpenBLAS not found (install libopenblas-dev)');
const nodeGyp = findNodeGyp();
if (!nodeGyp) skip("npm's bundled node-gyp was not found");
const nodeDir = findNodeDir();
if (!nodeDir) skip('local Node headers (include/node/node_api.h) were not found');

const args = [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--', `-Dblas_include=${include}`];
args.push(`-Dblas_lib_dir=${libDir}`);
const build = spawnSync(process.execPath, args, { cwd: addonDir, encoding: 'utf8' });
if (build.status !== 0) {
  const log = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n').slice(-15);
  console.log(log.map((l) => `  ${l}`).join('\n'));
  skip(`compiling native/blas failed (${build.error?.message ?? `exit ${build.status}`})`);
}

// A library that links but cannot be loaded (wrong arch, missing runtime) is caught here rather
// than on first use.
const load = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(addonFile)})`], {
  encoding: 'utf8',
});
if (load.status !== 0) {
  rmSync(addonFile, { force: true });
  const why = load.stderr.split('\n').find((l) => /Error/.test(l)) ?? `exit ${load.status}`;
  skip(`the built addon does not load (${why.trim()})`);
}
console.log(`osmosis: blas backend built against OpenBLAS (${include}, ${libDir})`);
