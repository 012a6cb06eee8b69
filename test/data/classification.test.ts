/** CSV / TSV / JSONL classification files: quoting, BOM, label vocabularies, errors. */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadClassification, parseClassification } from '../../src/data/index.js';

describe('classification files', () => {
  it('parses quoted CSV fields with commas, quotes and newlines, and a BOM', () => {
    const csv =
      '\ufefftext,label\n"Hello, world",pos\n"She said ""no""\nthen left",neg\nplain,pos\n';
    const ds = parseClassification('a.csv', csv, { textColumns: 'text', labelColumn: 'label' });
    expect(ds.labels).toEqual(['neg', 'pos']);
    expect(ds.examples.map((e) => [e.texts[0], e.label])).toEqual([
      ['Hello, world', 1],
      ['She said "no"\nthen left', 0],
      ['plain', 1],
    ]);
  });

  it('reads sentence pairs from TSV, with a fixed label order', () => {
    const tsv =
      'premise\thypothesis\tgold\nA man "sleeps\tA person rests\tentailment\nIt rains\tIt is dry\tcontradiction\n';
    const ds = parseClassification('b.tsv', tsv, {
      textColumns: ['premise', 'hypothesis'],
      labelColumn: 'gold',
      labels: ['entailment', 'neutral', 'contradiction'],
    });
    expect(ds.examples[0]).toEqual({
      texts: ['A man "sleeps', 'A person rests'],
      label: 0,
      labelName: 'entailment',
    });
    expect(ds.examples[1]!.label).toBe(2);
  });

  it('reads JSONL with numeric labels', async () => {
    const dir = await fsp.mkdtemp(join(tmpdir(), 'osmosis-cls-'));
    try {
      const file = join(dir, 'c.jsonl');
      await fsp.writeFile(
        file,
        '{"sentence": "good", "label": 1}\n\n{"sentence": "bad", "label": 0}\n',
      );
      const ds = await loadClassification(file, { textColumns: 'sentence', labelColumn: 'label' });
      expect(ds.labels).toEqual(['0', '1']);
      expect(ds.examples.map((e) => e.label)).toEqual([1, 0]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it('names the file, the record and the problem', () => {
    const o = { textColumns: 'text', labelColumn: 'label' };
    expect(() => parseClassification('d.csv', 'txt,label\nx,1\n', o)).toThrow(
      /d\.csv: record 1: no column "text" \(columns: txt, label\)/,
    );
    expect(() => parseClassification('d.csv', 'text,label\n"unclosed,1\n', o)).toThrow(
      /d\.csv: malformed CSV/,
    );
    expect(() => parseClassification('d.jsonl', '{"text":"a","label":"x"}\n{oops\n', o)).toThrow(
      /d\.jsonl:2: not valid JSON/,
    );
    expect(() => parseClassification('d.csv', 'text,label\na,\n', o)).toThrow(/empty label/);
    expect(() =>
      parseClassification('d.csv', 'text,label\na,z\n', { ...o, labels: ['x'] }),
    ).toThrow(/label "z" is not in the label vocabulary/);
    expect(() => parseClassification('d.txt', '', o)).toThrow(DatasetError);
  });
});
