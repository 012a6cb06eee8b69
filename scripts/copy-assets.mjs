// tsc compiles .ts only; worker entry files are plain .mjs (they must run under plain Node and
// under the test runner alike), so copy them next to the compiled output.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.mjs')) cpSync(path, join(root, 'dist', relative(root, path)));
  }
}

walk(join(root, 'src'));
