/**
 * Text classification data from CSV, TSV or JSONL: one or more text columns and a label column,
 * with a label vocabulary (sorted names, or the order the caller gives). CSV/TSV go through
 * csv-parse (RFC 4180: quoted fields with embedded commas, quotes and newlines; a UTF-8 BOM is
 * dropped); JSONL is one JSON object per line.
 */
import * as fsp from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DatasetError } from './errors.js';

export interface ClassificationExample {
  /** The text columns, in the order asked for. */
  texts: string[];
  label: number;
  labelName: string;
}

export interface ClassificationOptions {
  /** One or two (sentence pairs) text columns. */
  textColumns: string | string[];
  labelColumn: string;
  /** Default: from the extension (.csv, .tsv/.tab, .jsonl/.ndjson). */
  format?: 'csv' | 'tsv' | 'jsonl';
  /** A fixed label vocabulary (its order gives the ids); unknown labels are an error. */
  labels?: string[];
}

export interface ClassificationDataset {
  examples: ClassificationExample[];
  /** Label names by id. */
  labels: string[];
}

function formatOf(path: string, o: ClassificationOptions): 'csv' | 'tsv' | 'jsonl' {
  if (o.format) return o.format;
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new DatasetError(
    `${path}: cannot tell the format from the extension ${JSON.stringify(ext)}; pass format`,
  );
}

type Row = Record<string, unknown>;

function rowsOf(
  path: string,
  text: string,
  format: 'csv' | 'tsv' | 'jsonl',
): { rows: Row[]; where: (i: number) => string } {
  if (format === 'jsonl') {
    const rows: Row[] = [];
    const lines: number[] = [];
    text
      .replace(/^\ufeff/, '')
      .split(/\r?\n/)
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (err) {
          throw new DatasetError(`${path}:${i + 1}: not valid JSON (${(err as Error).message})`, {
            cause: err,
          });
        }
        if (typeof v !== 'object' || v === null || Array.isArray(v))
          throw new DatasetError(`${path}:${i + 1}: expected a JSON object`);
        rows.push(v as Row);
        lines.push(i + 1);
      });
    return { rows, where: (i) => `${path}:${lines[i]}` };
  }
  try {
    const rows = parse(text, {
      bom: true,
      columns: true,
      delimiter: format === 'tsv' ? '\t' : ',',
      skip_empty_lines: true,
      relax_column_count: false,
      // TSV files rarely quote; a stray quote inside a field must not swallow the next lines.
      quote: format === 'tsv' ? false : '"',
    }) as Row[];
    // Data rows start on line 2 (line 1 is the header) unless fields span lines; name the record.
    return { rows, where: (i) => `${path}: record ${i + 1}` };
  } catch (err) {
    throw new DatasetError(
      `${path}: malformed ${format.toUpperCase()} (${(err as Error).message})`,
      { cause: err },
    );
  }
}

export function parseClassification(
  path: string,
  text: string,
  o: ClassificationOptions,
): ClassificationDataset {
  const { rows, where } = rowsOf(path, text, formatOf(path, o));
  const textCols = typeof o.textColumns === 'string' ? [o.textColumns] : o.textColumns;
  const raw = rows.map((row, i) => {
    const get = (col: string): string => {
      if (!Object.hasOwn(row, col)) {
        throw new DatasetError(
          `${where(i)}: no column ${JSON.stringify(col)} (columns: ${Object.keys(row).join(', ')})`,
        );
      }
      const v = row[col];
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw new DatasetError(
        `${where(i)}: column ${JSON.stringify(col)} must be a string, number or boolean, got ${JSON.stringify(v)}`,
      );
    };
    const label = get(o.labelColumn);
    if (label === '')
      throw new DatasetError(`${where(i)}: empty label in column ${JSON.stringify(o.labelColumn)}`);
    return { texts: textCols.map(get), labelName: label, i };
  });
  const labels = o.labels ?? [...new Set(raw.map((r) => r.labelName))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const examples = raw.map((r) => {
    const label = index.get(r.labelName);
    if (label === undefined) {
      throw new DatasetError(
        `${where(r.i)}: label ${JSON.stringify(r.labelName)} is not in the label vocabulary (${labels.join(', ')})`,
      );
    }
    return { texts: r.texts, label, labelName: r.labelName };
  });
  return { examples, labels };
}

export async function loadClassification(
  path: string,
  o: ClassificationOptions,
): Promise<ClassificationDataset> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseClassification(path, text, o);
}
