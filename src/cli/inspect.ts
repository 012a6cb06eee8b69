/**
 * `osmosis inspect FILE [--json]`: what a safetensors file holds, from its header alone, so a
 * multi-gigabyte checkpoint is inspected without reading its data.
 */
import { OsmosisError } from '../core/errors.js';
import { DTYPE_SIZES } from '../core/safetensors/dtypes.js';
import type { SafeTensorInfo } from '../core/safetensors/header.js';
import { readSafetensorsHeader } from '../core/safetensors/reader.js';
import type { CommandIO } from './io.js';

const USAGE = `Usage: osmosis inspect FILE [--json]

Show the tensors (name, dtype, shape, bytes), parameter count and metadata of a
safetensors file. Only the header is read, so huge files are fine.

Options:
  --json    print {"file", "tensors": [{name, dtype, shape, offsets}], "metadata"}
  --help    show this help
`;

/** @returns the exit code: 0 on success, 2 for a bad or missing file or bad arguments, 1 for a bug. */
export async function inspectCommand(args: string[], io: CommandIO): Promise<number> {
  let json = false;
  const files: string[] = [];
  let optionsDone = false;
  for (const arg of args) {
    if (!optionsDone && (arg === '--help' || arg === '-h')) {
      io.stdout(USAGE);
      return 0;
    }
    if (!optionsDone && arg === '--json') json = true;
    else if (!optionsDone && arg === '--') optionsDone = true;
    else if (!optionsDone && arg.startsWith('-') && arg !== '-') {
      return fail(io, `unknown option ${arg} (see --help)`);
    } else files.push(arg);
  }
  if (files.length !== 1) {
    return fail(io, files.length === 0 ? 'missing FILE (see --help)' : 'expected one FILE');
  }
  const file = files[0];
  try {
    const header = await readSafetensorsHeader(file);
    const tensors = [...header.tensors.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const metadata = Object.keys(header.metadata)
      .sort()
      .map((key): [string, string] => [key, header.metadata[key]]);
    io.stdout(json ? asJson(file, tensors, metadata) : asTable(file, tensors, metadata));
    return 0;
  } catch (err) {
    // Expected failures (bad file, missing file) are OsmosisErrors; anything else is our bug, but
    // it still gets one line rather than a stack trace, and a different exit code.
    if (err instanceof OsmosisError) return fail(io, err.message);
    fail(io, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

function fail(io: CommandIO, message: string): number {
  io.stderr(`osmosis inspect: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return 2;
}

function asJson(file: string, tensors: SafeTensorInfo[], metadata: [string, string][]): string {
  // Written by hand rather than via an object: a `__proto__` metadata key stays a plain key, and
  // one tensor per line keeps large listings readable and grep-able.
  const q = JSON.stringify;
  const list = tensors.map(
    (t) =>
      `    {"name": ${q(t.name)}, "dtype": ${q(t.dtype)}, "shape": [${t.shape.join(', ')}], ` +
      `"offsets": [${t.dataOffsets.join(', ')}]}`,
  );
  const meta = metadata.map(([k, v]) => `    ${q(k)}: ${q(v)}`);
  const block = (open: string, items: string[], close: string): string =>
    items.length === 0 ? `${open}${close}` : `${open}\n${items.join(',\n')}\n  ${close}`;
  return (
    `{\n  "file": ${q(file)},\n  "tensors": ${block('[', list, ']')},\n` +
    `  "metadata": ${block('{', meta, '}')}\n}\n`
  );
}

function asTable(file: string, tensors: SafeTensorInfo[], metadata: [string, string][]): string {
  const rows = tensors.map((t) => [
    printable(t.name),
    t.dtype,
    `[${t.shape.join(', ')}]`,
    grouped(t.dataOffsets[1] - t.dataOffsets[0]),
  ]);
  const head = ['name', 'dtype', 'shape', 'bytes'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r
      .map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  let params = 0;
  let bytes = 0;
  for (const t of tensors) {
    params += (t.dataOffsets[1] - t.dataOffsets[0]) / DTYPE_SIZES[t.dtype];
    bytes += t.dataOffsets[1] - t.dataOffsets[0];
  }
  const out = [`file: ${printable(file)}`, line(head), ...rows.map(line)];
  const plural = tensors.length === 1 ? '' : 's';
  out.push(
    `total: ${tensors.length} tensor${plural}, ${grouped(params)} parameters, ${grouped(bytes)} bytes`,
  );
  if (metadata.length > 0) {
    out.push('metadata:');
    for (const [k, v] of metadata) out.push(`  ${printable(k)}: ${printable(v)}`);
  } else {
    out.push('metadata: (none)');
  }
  return `${out.join('\n')}\n`;
}

/** Names and values with control characters are shown JSON-escaped, so each stays on its row. */
function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(s) ? JSON.stringify(s) : s;
}

function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
