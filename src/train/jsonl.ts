/**
 * metrics.jsonl: one JSON object per line, one line per log / evaluation / checkpoint event.
 * Every line is written whole and fdatasync'd before append() returns, so a line that was
 * reported is on disk. A process killed mid-write can leave a torn last line: readers skip it and
 * the writer cuts it off before appending, so it never glues onto the next record.
 */
import * as fs from 'node:fs';
import { CheckpointError } from '../core/errors.js';
import { writeFileAtomicSync } from '../core/io/atomic.js';

export type JsonlRecord = Record<string, unknown>;

/** Complete lines of a JSONL file; a torn (unterminated, unparseable) last line is skipped. */
export function readJsonl(path: string): JsonlRecord[] {
  if (!fs.existsSync(path)) return [];
  return parseLines(path, fs.readFileSync(path, 'utf8')).map((l) => l.record);
}

function parseLines(path: string, text: string): { record: JsonlRecord; raw: string }[] {
  const lines = text.split('\n');
  const out: { record: JsonlRecord; raw: string }[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    const last = i === lines.length - 1; // no newline after it: possibly torn
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      if (last) continue; // complete JSON but unterminated: the write did not finish
      out.push({ record: v as JsonlRecord, raw: line });
    } catch (err) {
      if (last) continue;
      throw new CheckpointError(`${path}: line ${i + 1} is not a JSON object`, { cause: err });
    }
  }
  return out;
}

export interface JsonlOpenOptions {
  /** Start an empty file (a new run) instead of appending. */
  fresh?: boolean;
  /** Keep only the first n complete lines (resuming from a checkpoint taken at that point). */
  keepLines?: number;
}

/** An append-only JSONL file with durable appends. */
export class JsonlWriter {
  private fd: number;
  /** Complete lines in the file. */
  lines: number;

  constructor(
    readonly path: string,
    options: JsonlOpenOptions = {},
  ) {
    let kept: string[] = [];
    if (!options.fresh && fs.existsSync(path)) {
      const text = fs.readFileSync(path, 'utf8');
      kept = parseLines(path, text).map((l) => l.raw);
      if (options.keepLines !== undefined) kept = kept.slice(0, options.keepLines);
      const content = kept.map((l) => `${l}\n`).join('');
      // Rewrite only when something is cut (a torn tail, lines past the checkpoint).
      if (content !== text) writeFileAtomicSync(path, content);
    } else {
      writeFileAtomicSync(path, '');
    }
    this.lines = kept.length;
    try {
      this.fd = fs.openSync(path, 'a');
    } catch (err) {
      throw new CheckpointError(`cannot open ${path} for appending: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Append one record as a line; NaN and Infinity are written as null (JSON has neither). */
  append(record: JsonlRecord): void {
    if (this.fd < 0) throw new CheckpointError(`${this.path}: append after close`);
    const data = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    try {
      for (let done = 0; done < data.length;) done += fs.writeSync(this.fd, data, done);
      fs.fdatasyncSync(this.fd);
    } catch (err) {
      throw new CheckpointError(`cannot append to ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.lines += 1;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
