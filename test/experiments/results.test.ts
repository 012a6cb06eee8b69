import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { format } from 'prettier';
import { beforeAll, describe, expect, it } from 'vitest';
import { resultsCommand } from '../../src/cli/results.js';
import { collectIO, tempDir, writeFakeConfig } from './helpers.js';

/** Every relative link of a Markdown page, resolved against its folder. */
function links(page: string, file: string): string[] {
  return [...page.matchAll(/\]\(([^)#][^)]*)\)/g)].map((m) => resolve(dirname(file), m[1]));
}

const tables = (page: string): string =>
  page
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .join('\n');

describe('osmosis results', () => {
  const root = tempDir('results');
  const exps = join(root, 'experiments');
  const runs = join(root, 'runs');
  const out = join(root, 'docs', 'results.md');
  const args = ['--experiments', exps, '--runs', runs, '--out', out, '--workers', '0', '--quiet'];

  beforeAll(() => {
    const first = writeFakeConfig(exps, { seeds: 2 });
    writeFileSync(
      join(exps, 'two.yaml'),
      readFileSync(first, 'utf8')
        .replace('name: fake-transfer', 'name: fake-two')
        .replace('synthetic curves for the runner tests', 'a second bundled experiment'),
    );
    // An LM config with no run: the page gains its "LM transfer" section.
    mkdirSync(join(exps, 'lm'));
    copyFileSync('experiments/lm/lm-crosstask.yaml', join(exps, 'lm', 'lm-crosstask.yaml'));
  });

  it('without --run-missing lists what has no run, trains nothing, exits 1', async () => {
    const io = collectIO();
    expect(await resultsCommand(args, io)).toBe(1);
    expect(existsSync(runs)).toBe(false);
    const page = readFileSync(out, 'utf8');
    expect(page.match(/\*\*not run yet\*\*/g)).toHaveLength(2);
    expect(io.out()).toContain('2 experiment(s) without a finished run');
  });

  it('--run-missing runs each experiment and writes tables, flags and plots', async () => {
    const io = collectIO();
    expect(await resultsCommand([...args, '--run-missing'], io)).toBe(0);
    expect(io.out()).toMatch(/fake-transfer\s+finished\s+fake-transfer-\d{8}/);
    const page = readFileSync(out, 'utf8');
    for (const s of ['## fake-transfer', '## fake-two', 'a second bundled experiment']) {
      expect(page).toContain(s);
    }
    expect(page).toMatch(/\| method +\| kind +\| seeds \| final return +\| jumpstart +\|/);
    expect(page.match(/\| harmful +\| fake +\| 2 +\|.*\| YES +\|/g)).toHaveLength(2);
    // Two findings each (AUC ratio and asymptotic difference), in both experiments.
    expect(page.match(/> \*\*Warning:\*\* harmful: negative transfer/g)).toHaveLength(4);
    expect(page).not.toMatch(/Warning:\*\* helpful/);
    expect(page).toMatch(/kernels: (wasm|js), \d+ threads?\n/);
    const svgs = links(page, out).filter((l) => l.endsWith('.svg'));
    expect(svgs.length).toBeGreaterThanOrEqual(6);
    for (const f of links(page, out)) expect(existsSync(f)).toBe(true);
    for (const f of svgs) {
      expect(f.startsWith(join(root, 'docs', 'results'))).toBe(true);
      expect(XMLValidator.validate(readFileSync(f, 'utf8'))).toBe(true);
    }
    expect(readdirSync(join(root, 'docs', 'results')).sort()).toEqual([
      'fake-transfer',
      'fake-two',
    ]);
    expect(page).toContain('## LM transfer');
    // The page is committed, and CI checks the format: it must come out in Prettier's form.
    expect(await format(page, { parser: 'markdown' })).toBe(page);
  });

  it('a second call reuses the finished runs and writes the same page', async () => {
    const before = readFileSync(out, 'utf8');
    const runDirs = readdirSync(runs).sort();
    expect(await resultsCommand([...args, '--run-missing'], collectIO())).toBe(0);
    expect(readdirSync(runs).sort()).toEqual(runDirs);
    expect(readFileSync(out, 'utf8')).toBe(before);
  });

  it('an interrupted run is listed as unfinished, then resumed, not rerun', async () => {
    const before = readFileSync(out, 'utf8');
    const id = readdirSync(runs).find((d) => d.startsWith('fake-two-'))!;
    const dir = join(runs, id);
    rmSync(join(dir, 'results', 'helpful', 'seed-1.json'));
    const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { status: string };
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...info, status: 'running' }));

    expect(await resultsCommand(args, collectIO())).toBe(1);
    expect(readFileSync(out, 'utf8')).toContain(`**unfinished**: run \`${id}\` is running`);
    expect(existsSync(join(root, 'docs', 'results', 'fake-two'))).toBe(false);

    expect(await resultsCommand([...args, '--run-missing'], collectIO())).toBe(0);
    expect(readdirSync(runs).filter((d) => d.startsWith('fake-two-'))).toEqual([id]);
    const page = readFileSync(out, 'utf8');
    expect(page).toContain('(the last of 2 attempts)');
    expect(tables(page)).toBe(tables(before));
  });

  it('--help explains the command; bad arguments are named', async () => {
    const io = collectIO();
    expect(await resultsCommand(['--help'], io)).toBe(0);
    expect(io.out()).toContain('docs/results.md');
    expect(io.out()).toContain('--run-missing');
    await expect(resultsCommand(['--workers', 'many'], collectIO())).rejects.toThrow(
      /--workers must be an integer >= 0, got 'many'/,
    );
    await expect(
      resultsCommand(['--experiments', join(root, 'nothing'), '--quiet'], collectIO()),
    ).rejects.toThrow(/cannot list experiment configs in .*nothing/);
  });
});
