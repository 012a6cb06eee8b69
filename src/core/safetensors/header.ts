/**
 * Safetensors header validation. Layout: u64 little-endian N, N bytes of UTF-8 JSON, then data.
 * The JSON maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to
 * the data section) plus an optional "__metadata__" string->string map. Every check throws a
 * one-line SafetensorsError naming the file and the offending field, so a corrupt or hostile file
 * fails here and never reaches code that trusts the offsets.
 */
import { SafetensorsError } from '../errors.js';
import { DTYPE_SIZES, isSafetensorsDType, type SafetensorsDType } from './dtypes.js';
import { clip, JsonError, JsonFloat, parseJson, type JsonObject, type JsonValue } from './json.js';

/** The Rust reference refuses headers over 100 MB; a larger one is a hostile or broken file. */
export const MAX_HEADER_BYTES = 100_000_000;
/** Root object, tensor entry, shape array: anything deeper is malformed. */
const MAX_JSON_DEPTH = 8;
const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

/** Where a tensor lives in the file, without its bytes. */
export interface SafeTensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface ParsedHeader {
  tensors: Map<string, SafeTensorInfo>;
  /** A null-prototype record: keys such as `__proto__` are plain own keys here. */
  metadata: Record<string, string>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Quote a user-supplied name or value for a one-line message. */
export function quote(s: string): string {
  return JSON.stringify(clip(s));
}

function describe(v: JsonValue): string {
  if (v instanceof Map) return 'an object';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof JsonFloat) return `the number ${v.value}`;
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  return `${typeof v} ${String(v)}`;
}

/**
 * Read the 8-byte length prefix and check it against the file size.
 * @returns N, the header length in bytes.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8) {
    throw new SafetensorsError(
      `${source}: file is ${fileSize} bytes, shorter than the 8-byte header length prefix`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new SafetensorsError(`${source}: header length ${n} is not a safe integer (>= 2^53)`);
  }
  const length = Number(n);
  if (length > MAX_HEADER_BYTES) {
    throw new SafetensorsError(
      `${source}: header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  if (8 + length > fileSize) {
    throw new SafetensorsError(
      `${source}: header length ${length} runs past the end of the file (${fileSize} bytes)`,
    );
  }
  return length;
}

/**
 * Decode and validate the header JSON against a data section of `dataLength` bytes: every tensor
 * well-formed, and the tensors tiling the data section exactly, from 0 to its end.
 */
export function parseHeader(header: Uint8Array, dataLength: number, source: string): ParsedHeader {
  let text: string;
  try {
    text = utf8.decode(header);
  } catch (err) {
    throw new SafetensorsError(`${source}: header is not valid UTF-8`, { cause: err });
  }
  let root: JsonValue;
  try {
    root = parseJson(text, MAX_JSON_DEPTH);
  } catch (err) {
    if (!(err instanceof JsonError)) throw err;
    throw new SafetensorsError(`${source}: header JSON: ${err.message}`, { cause: err });
  }
  if (!(root instanceof Map)) {
    throw new SafetensorsError(`${source}: header must be a JSON object, got ${describe(root)}`);
  }
  const metadata: Record<string, string> = Object.create(null);
  const tensors = new Map<string, SafeTensorInfo>();
  for (const [name, value] of root) {
    if (name === '__metadata__') readMetadata(value, metadata, source);
    else tensors.set(name, readEntry(name, value, dataLength, source));
  }
  checkCoverage([...tensors.values()], dataLength, source);
  return { tensors, metadata };
}

function readMetadata(value: JsonValue, out: Record<string, string>, source: string): void {
  if (!(value instanceof Map)) {
    throw new SafetensorsError(`${source}: __metadata__ must be an object, got ${describe(value)}`);
  }
  for (const [key, v] of value) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        `${source}: __metadata__ value for key ${quote(key)} must be a string, got ${describe(v)}`,
      );
    }
    out[key] = v;
  }
}

function readEntry(
  name: string,
  value: JsonValue,
  dataLength: number,
  source: string,
): SafeTensorInfo {
  // Messages are built only on failure: quoting every name up front costs more than the checks.
  const fail = (message: string): SafetensorsError =>
    new SafetensorsError(`${source}: tensor ${quote(name)}${message}`);
  if (!(value instanceof Map)) throw fail(` must be an object, got ${describe(value)}`);
  for (const key of value.keys()) {
    if (!ENTRY_FIELDS.has(key)) {
      throw fail(` has unknown field ${quote(key)} (expected dtype, shape, data_offsets)`);
    }
  }
  const dtype = field(value, 'dtype', fail);
  if (typeof dtype !== 'string' || !isSafetensorsDType(dtype)) {
    const supported = Object.keys(DTYPE_SIZES).join(', ');
    throw fail(`: unsupported dtype ${describe(dtype)} (supported: ${supported})`);
  }
  const shape = integers(field(value, 'shape', fail), 'shape', fail);
  const offsets = integers(field(value, 'data_offsets', fail), 'data_offsets', fail);
  if (offsets.length !== 2) {
    throw fail(`: data_offsets must be [begin, end], got ${offsets.length} numbers`);
  }
  const [begin, end] = offsets;
  if (begin > end) throw fail(`: data_offsets [${begin}, ${end}] has begin after end`);
  if (end > dataLength) {
    throw fail(`: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section`);
  }
  const count = elementCount(shape);
  if (count === undefined) {
    throw fail(`: shape [${shape.join(', ')}] has more than 2^53 elements`);
  }
  // count * size may pass 2^53 and round, but then it also exceeds end - begin, which is exact.
  if (end - begin !== count * DTYPE_SIZES[dtype]) {
    const needed = BigInt(count) * BigInt(DTYPE_SIZES[dtype]);
    throw fail(
      `: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ` +
        `shape [${shape.join(', ')}] needs ${needed}`,
    );
  }
  return { name, dtype, shape, dataOffsets: [begin, end] };
}

type Fail = (message: string) => SafetensorsError;

function field(entry: JsonObject, key: string, fail: Fail): JsonValue {
  const v = entry.get(key);
  if (v === undefined) throw fail(` is missing field "${key}"`);
  return v;
}

function integers(value: JsonValue, key: string, fail: Fail): number[] {
  if (!Array.isArray(value)) throw fail(`: ${key} must be an array, got ${describe(value)}`);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw fail(`: ${key}[${i}] must be a non-negative safe integer, got ${describe(v)}`);
    }
  }
  return value as number[];
}

/**
 * The number of elements, or undefined past 2^53 - 1. Plain float products are exact here: while
 * the true product stays a safe integer it is representable, and once it passes 2^53 the rounded
 * product is at least 2^53, so the overflow check cannot be fooled by rounding.
 */
export function elementCount(shape: readonly number[]): number | undefined {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return n;
}

/** Tensors must tile [0, dataLength) exactly: no gaps, no overlaps, no trailing bytes. */
function checkCoverage(infos: SafeTensorInfo[], dataLength: number, source: string): void {
  // Ties on begin put zero-size tensors first, so one sitting at a shared offset is not an overlap.
  infos.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let end = 0;
  let previous: SafeTensorInfo | undefined;
  for (const info of infos) {
    const [b, e] = info.dataOffsets;
    const here = `${source}: tensor ${quote(info.name)} data_offsets [${b}, ${e}]`;
    if (b < end) {
      const [pb, pe] = previous!.dataOffsets;
      throw new SafetensorsError(
        `${here} overlap tensor ${quote(previous!.name)} at [${pb}, ${pe}]`,
      );
    }
    if (b > end) {
      const after = previous ? `the end of tensor ${quote(previous.name)}` : 'the data section';
      throw new SafetensorsError(`${here} leave a gap of ${b - end} bytes after ${after}`);
    }
    end = e;
    previous = info;
  }
  if (end !== dataLength) {
    throw new SafetensorsError(
      `${source}: ${dataLength - end} trailing bytes after the last tensor ` +
        `(tensors cover ${end} of the ${dataLength}-byte data section)`,
    );
  }
}
