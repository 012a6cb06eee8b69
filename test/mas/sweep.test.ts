import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../src/mas/csv.js';
import { expandSweep, runSweep, SweepError, type SweepRow } from '../../src/mas/index.js';

const MODEL = fileURLToPath(new URL('./fixtures/sweep-model.mjs', import.meta.url));
const BROKEN = fileURLToPath(new URL('./fixtures/sweep-broken.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'osmosis-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal RFC 4180 reader, to check that what we write reads back field for field. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  return rows;
}

describe('expandSweep', () => {
  it('enumerates combinations with the first parameter slowest, repetitions innermost', () => {
    const runs = expandSweep({
      params: { a: [1, 2], b: ['x', 'y', 'z'] },
      repetitions: 2,
      baseSeed: 7,
    });
    expect(runs).toHaveLength(12);
    expect(runs.slice(0, 4)).toEqual([
      { run: 1, params: { a: 1, b: 'x' }, seed: 7 },
      { run: 2, params: { a: 1, b: 'x' }, seed: 8 },
      { run: 3, params: { a: 1, b: 'y' }, seed: 7 },
      { run: 4, params: { a: 1, b: 'y' }, seed: 8 },
    ]);
    expect(runs[11]).toEqual({ run: 12, params: { a: 2, b: 'z' }, seed: 8 });
  });

  it('expands BehaviorSpace ranges without drift and takes explicit seeds', () => {
    const runs = expandSweep({ params: { p: { first: 0, step: 0.1, last: 1 } }, seeds: [42] });
    expect(runs.map((r) => r.params.p)).toHaveLength(11);
    expect(runs.at(-1)!.params.p).toBeCloseTo(1, 12);
    expect(
      expandSweep({ params: { n: { first: 5, step: -2, last: 0 } } }).map((r) => r.params.n),
    ).toEqual([5, 3, 1]);
    expect(runs[0].seed).toBe(42);
  });

  it.each([
    ['a reserved name', { params: { seed: [1] } }, /reserved/],
    ['an empty axis', { params: { a: [] } }, /invalid spec/],
    ['an unknown key', { params: { a: [1] }, reps: 2 }, /invalid spec/],
    [
      'a range that never ends',
      { params: { a: { first: 0, step: -1, last: 3 } } },
      /never reaches/,
    ],
    ['zero repetitions', { params: { a: [1] }, repetitions: 0 }, /invalid spec/],
  ])('rejects %s with a SweepError', (_name, spec, msg) => {
    expect(() => expandSweep(spec as never)).toThrow(SweepError);
    expect(() => expandSweep(spec as never)).toThrow(msg);
  });
});

describe('CSV', () => {
  it('quotes commas, quotes, line breaks and edge spaces, and nothing else', () => {
    expect(
      ['plain', 'a,b', 'say "hi"', 'two\nlines', ' pad', 1.5, -0, true, null, undefined].map(
        csvField,
      ),
    ).toEqual([
      'plain',
      '"a,b"',
      '"say ""hi"""',
      '"two\nlines"',
      '" pad"',
      '1.5',
      '-0',
      'true',
      '',
      '',
    ]);
    const text = toCsv(['h1', 'h,2'], [['x"y', 'a\r\nb']]);
    expect(parseCsv(text)).toEqual([
      ['h1', 'h,2'],
      ['x"y', 'a\r\nb'],
    ]);
  });
});

describe('runSweep', () => {
  const spec = { params: { x: [1, 2, 3] }, repetitions: 2, baseSeed: 100 };

  it('runs in-process, collects metrics per run, and writes an atomic CSV', async () => {
    const seen: number[] = [];
    const csvPath = join(dir, 'inproc.csv');
    const result = await runSweep(spec, {
      run: ({ params, seed }) => ({ y: (params.x as number) * seed, tag: `s${seed}` }),
      csvPath,
      onRow: (r) => seen.push(r.run),
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.header).toEqual(['run', 'x', 'seed', 'y', 'tag', 'error']);
    expect(readFileSync(csvPath, 'utf8')).toBe(result.csv);
    expect(parseCsv(result.csv)[1]).toEqual(['1', '1', '100', '100', 's100', '']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('records a throwing or malformed run as an error row and carries on', async () => {
    const result = await runSweep(
      { params: { mode: ['ok', 'throw', 'bad'] } },
      {
        run: ({ params }) => {
          if (params.mode === 'throw') throw new TypeError('nope');
          if (params.mode === 'bad') return { nested: { a: 1 } } as never;
          return { v: 1 };
        },
      },
    );
    expect(result.rows.map((r) => r.error)).toEqual([
      null,
      'TypeError: nope',
      'run did not return a record of numbers, strings, booleans or null',
    ]);
    expect(parseCsv(result.csv).map((r) => r.at(-1))).toEqual([
      'error',
      '',
      'TypeError: nope',
      expect.any(String),
    ]);
  });

  it('runs a module export on worker threads, in run order whatever the completion order', async () => {
    const completion: number[] = [];
    const csvPath = join(dir, 'workers.csv');
    const pooled = await runSweep(
      { params: { x: [1, 2, 3] }, repetitions: 3 },
      { module: MODEL, workers: 4, csvPath, onRow: (r) => completion.push(r.run) },
    );
    expect(pooled.rows.map((r) => r.run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...completion].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pooled.rows[4]).toMatchObject({
      params: { x: 2 },
      seed: 1,
      metrics: { score: 21, ok: true },
    });
    const table = parseCsv(readFileSync(csvPath, 'utf8'));
    expect(table[0]).toEqual(['run', 'x', 'seed', 'score', 'label', 'ok', 'nothing', 'error']);
    expect(table[1]).toEqual(['1', '1', '0', '10', 'x=1, "quoted"\nline2', 'false', '', '']);

    // Same rows whether run on 1 worker, 4 workers or in-process.
    const single = await runSweep(
      { params: { x: [1, 2, 3] }, repetitions: 3 },
      { module: MODEL, workers: 1 },
    );
    const inline = await runSweep(
      { params: { x: [1, 2, 3] }, repetitions: 3 },
      { module: pathToFileURL(MODEL), workers: 0 },
    );
    expect(single.csv).toBe(pooled.csv);
    expect(inline.csv).toBe(pooled.csv);
  });

  it('keeps run order when a later run provably finishes first', async () => {
    const completion: number[] = [];
    const result = await runSweep(
      { params: { dir: [dir] }, repetitions: 2 },
      { module: MODEL, exportName: 'ordered', workers: 2, onRow: (r) => completion.push(r.run) },
    );
    expect(completion).toEqual([2, 1]);
    expect(result.rows.map((r) => r.metrics)).toEqual([{ finished: 1 }, { finished: 2 }]);
  });

  it('survives runs that throw, exit the worker, or throw asynchronously', async () => {
    const result = await runSweep(
      { params: { mode: ['ok', 'throw', 'exit', 'async-throw', 'bad', 'ok'], x: [1] } },
      { module: MODEL, workers: 2 },
    );
    const errors = result.rows.map((r: SweepRow) => r.error);
    expect(errors[0]).toBeNull();
    expect(errors[1]).toBe('RangeError: boom in run 2');
    expect(errors[2]).toMatch(/worker died during run: exit code 3/);
    expect(errors[3]).toMatch(/worker died during run: .*uncaught later/);
    expect(errors[4]).toMatch(/not return a record/);
    expect(errors[5]).toBeNull();
  });

  it('refuses a module that cannot load or lacks the export, with a SweepError', async () => {
    const one = { params: { x: [1] } };
    await expect(runSweep(one, { module: BROKEN, workers: 1 })).rejects.toThrow(
      /cannot load this model/,
    );
    await expect(
      runSweep(one, { module: MODEL, exportName: 'notAFunction', workers: 2 }),
    ).rejects.toThrow(SweepError);
    await expect(
      runSweep(one, { module: MODEL, exportName: 'missing', workers: 0 }),
    ).rejects.toThrow(/not a function/);
    await expect(runSweep(one, { module: join(dir, 'nope.mjs'), workers: 1 })).rejects.toThrow(
      SweepError,
    );
    await expect(runSweep(one, {})).rejects.toThrow(/exactly one/);
    const named = await runSweep(
      { params: { x: [1] }, seeds: [21] },
      { module: MODEL, exportName: 'only', workers: 1 },
    );
    expect(named.rows[0].metrics).toEqual({ seed2: 42 });
  });
});
