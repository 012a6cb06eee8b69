/**
 * Writing safetensors files the way the Rust reference does: "__metadata__" first, tensors sorted
 * by name and packed back to back, the header padded with spaces so the data section starts on an
 * 8-byte boundary (readers can then view F64/I64 data in place), all little-endian. Files are
 * saved through writeFileAtomic, so a crash never leaves a partial file under the final name.
 */
import { writeFileAtomic, writeFileAtomicSync } from '../io/atomic.js';
import { SafetensorsError } from '../errors.js';
import { DTYPE_SIZES, f32ToBf16Bits, f32ToF16Bits, littleEndianBytes } from './dtypes.js';
import { elementCount, MAX_HEADER_BYTES, quote } from './header.js';

export type SafetensorsWriteDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32';

/**
 * Typed arrays accepted per dtype (a Uint8Array is always taken as the raw little-endian bytes):
 *   F32: Float32Array, Float64Array (rounded)     F64: Float64Array, Float32Array
 *   F16, BF16: Float32Array (rounded to nearest even), Uint16Array (the bit patterns)
 *   I64: BigInt64Array, Int32Array                 I32: Int32Array
 * F16/BF16 refuse Float64Array: rounding through float32 first would round twice.
 */
export type TensorData =
  Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array;

export interface TensorToWrite {
  dtype: SafetensorsWriteDType;
  shape: readonly number[];
  data: TensorData;
}

export type TensorsToWrite =
  Readonly<Record<string, TensorToWrite>> | ReadonlyMap<string, TensorToWrite>;

const WRITE_DTYPES: ReadonlySet<string> = new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32']);
const encoder = new TextEncoder();
// With the u flag a well-formed surrogate pair is one code point, so this matches lone halves only.
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * The file as chunks (header, then each tensor's bytes) to write back to back. Chunks may be views
 * of the callers' arrays: do not mutate them until the chunks are written.
 */
export function serializeSafetensorsChunks(
  tensors: TensorsToWrite,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array[] {
  const entries = [...(tensors instanceof Map ? tensors : Object.entries(tensors))];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  const meta = Object.entries(metadata ?? {});
  if (meta.length > 0) parts.push(`"__metadata__":${metadataJson(meta)}`);
  const chunks: Uint8Array[] = [new Uint8Array(0)];
  let offset = 0;
  for (const [name, tensor] of entries) {
    checkText(name, 'tensor name');
    if (name === '__metadata__') {
      throw new SafetensorsError('cannot write a tensor named "__metadata__" (a reserved key)');
    }
    const bytes = encode(name, tensor);
    const shape = tensor.shape.join(',');
    const offsets = `[${offset},${offset + bytes.byteLength}]`;
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${tensor.dtype}","shape":[${shape}],"data_offsets":${offsets}}`,
    );
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const json = encoder.encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.byteLength / 8) * 8;
  if (n > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header of ${n} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const head = new Uint8Array(8 + n).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
  head.set(json, 8);
  chunks[0] = head;
  return chunks;
}

/** The whole file as one array. */
export function serializeSafetensors(
  tensors: TensorsToWrite,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const chunks = serializeSafetensorsChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Save atomically; throws SafetensorsError for bad tensors, CheckpointError for I/O failures. */
export async function saveSafetensors(
  path: string,
  tensors: TensorsToWrite,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensorsChunks(tensors, metadata));
}

export function saveSafetensorsSync(
  path: string,
  tensors: TensorsToWrite,
  metadata?: Readonly<Record<string, string>>,
): void {
  writeFileAtomicSync(path, serializeSafetensorsChunks(tensors, metadata));
}

function metadataJson(entries: [string, string][]): string {
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const items = entries.map(([key, value]) => {
    checkText(key, '__metadata__ key');
    if (typeof value !== 'string') {
      throw new SafetensorsError(
        `__metadata__ value for key ${quote(key)} must be a string, got ${typeof value}`,
      );
    }
    checkText(value, `__metadata__ value for key ${quote(key)}`);
    return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  });
  return `{${items.join(',')}}`;
}

function checkText(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) {
    throw new SafetensorsError(`${what} ${quote(s)} has a lone surrogate and is not valid UTF-8`);
  }
}

function encode(name: string, tensor: TensorToWrite): Uint8Array {
  const { dtype, shape, data } = tensor;
  const fail = (message: string): SafetensorsError =>
    new SafetensorsError(`tensor ${quote(name)}: ${message}`);
  if (!WRITE_DTYPES.has(dtype)) {
    throw fail(`cannot write dtype ${quote(String(dtype))} (F64, F32, F16, BF16, I64, I32)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`shape [${String(shape)}] must be non-negative integers`);
  }
  const count = elementCount(shape);
  if (count === undefined) throw fail(`shape [${shape.join(', ')}] has more than 2^53 elements`);
  const size = DTYPE_SIZES[dtype];
  if (data instanceof Uint8Array) {
    if (data.byteLength !== count * size) {
      throw fail(
        `${data.byteLength} raw bytes given, ${dtype} shape [${shape.join(', ')}] ` +
          `needs ${count * size}`,
      );
    }
    return data;
  }
  if (data.length !== count) {
    throw fail(`${data.length} values given, shape [${shape.join(', ')}] has ${count}`);
  }
  const bytes = convert(dtype, data);
  if (bytes === undefined) {
    throw fail(`cannot write a ${data.constructor.name} as ${dtype} (see TensorData)`);
  }
  return bytes;
}

function convert(dtype: SafetensorsWriteDType, data: TensorData): Uint8Array | undefined {
  switch (dtype) {
    case 'F32':
      if (data instanceof Float32Array) return littleEndianBytes(data);
      if (data instanceof Float64Array) return littleEndianBytes(new Float32Array(data));
      return undefined;
    case 'F64':
      if (data instanceof Float64Array) return littleEndianBytes(data);
      if (data instanceof Float32Array) return littleEndianBytes(new Float64Array(data));
      return undefined;
    case 'F16':
    case 'BF16': {
      if (data instanceof Uint16Array) return littleEndianBytes(data);
      if (!(data instanceof Float32Array)) return undefined;
      const round = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
      const bits = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) bits[i] = round(data[i]);
      return littleEndianBytes(bits);
    }
    case 'I64': {
      if (data instanceof BigInt64Array) return littleEndianBytes(data);
      if (!(data instanceof Int32Array)) return undefined;
      const wide = new BigInt64Array(data.length);
      for (let i = 0; i < data.length; i++) wide[i] = BigInt(data[i]);
      return littleEndianBytes(wide);
    }
    case 'I32':
      return data instanceof Int32Array ? littleEndianBytes(data) : undefined;
  }
}
