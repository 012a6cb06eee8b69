import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCommand } from '../../../src/cli/inspect.js';
import { saveSafetensors } from '../../../src/core/safetensors/index.js';
import { rawFile } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'osmosis-inspect-'));
const good = join(dir, 'model.safetensors');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await saveSafetensors(
    good,
    {
      'lm_head.weight': { dtype: 'F16', shape: [1000, 2], data: new Float32Array(2000) },
      'embed.weight': { dtype: 'F32', shape: [10, 4], data: new Float32Array(40) },
      position_ids: { dtype: 'I64', shape: [1, 3], data: new Int32Array(3) },
    },
    { format: 'pt', source: 'unit test' },
  );
});

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await inspectCommand(args, {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('osmosis inspect', () => {
  it('prints a table sorted by name, totals and metadata', async () => {
    const { code, stdout, stderr } = await run(good);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toBe(
      [
        `file: ${good}`,
        'name            dtype  shape      bytes',
        'embed.weight    F32    [10, 4]      160',
        'lm_head.weight  F16    [1000, 2]  4,000',
        'position_ids    I64    [1, 3]        24',
        'total: 3 tensors, 2,043 parameters, 4,184 bytes',
        'metadata:',
        '  format: pt',
        '  source: unit test',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await run('--json', good);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      file: good,
      tensors: [
        { name: 'embed.weight', dtype: 'F32', shape: [10, 4], offsets: [0, 160] },
        { name: 'lm_head.weight', dtype: 'F16', shape: [1000, 2], offsets: [160, 4160] },
        { name: 'position_ids', dtype: 'I64', shape: [1, 3], offsets: [4160, 4184] },
      ],
      metadata: { format: 'pt', source: 'unit test' },
    });
  });

  it('keeps a __proto__ metadata key as data in --json, and escapes odd names in the table', async () => {
    const path = join(dir, 'odd.safetensors');
    const header =
      '{"__metadata__":{"__proto__":"x"},"a\\nb":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}';
    writeFileSync(path, rawFile(header));
    const json = await run(path, '--json');
    expect(json.stdout).toContain('"__proto__": "x"');
    expect(json.stdout).toContain('"name": "a\\nb"');
    const table = await run(path);
    expect(table.stdout).toContain('"a\\nb"  U8     [0]');
    expect(table.stdout).toContain('total: 1 tensor, 0 parameters, 0 bytes');
  });

  it('reports a corrupt file in one line, exit 2', async () => {
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, rawFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4));
    const { code, stdout, stderr } = await run(bad);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `osmosis inspect: ${bad}: tensor "w": data_offsets [0, 8] run past the 4-byte data section\n`,
    );
  });

  it('reports a missing file in one line, exit 2', async () => {
    const missing = join(dir, 'missing.safetensors');
    const { code, stderr } = await run(missing, '--json');
    expect(code).toBe(2);
    expect(stderr).toBe(`osmosis inspect: ${missing}: file not found\n`);
  });

  it('handles --help and bad arguments', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: osmosis inspect FILE \[--json\]/);
    for (const args of [[], ['--bogus', good], [good, good]]) {
      const r = await run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^osmosis inspect: [^\n]+\n$/);
    }
    const dashed = await run('--', '--json');
    expect(dashed.stderr).toBe('osmosis inspect: --json: file not found\n');
  });

  it('prints "(none)" for files without metadata', async () => {
    const path = join(dir, 'empty.safetensors');
    writeFileSync(path, rawFile('{}'));
    const { stdout } = await run(path);
    expect(stdout).toContain('total: 0 tensors, 0 parameters, 0 bytes\nmetadata: (none)\n');
  });
});
