#!/usr/bin/env node
// The `osmosis` command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) or
// `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('osmosis: dist/ is missing; run `npm run build` (or `npm ci`) first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
