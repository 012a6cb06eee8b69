/**
 * Reading safetensors files: whole files (tensors are zero-copy views into the bytes read) and
 * header-only reads that touch just the first 8 + N bytes, for `inspect` on huge files and for
 * sharded checkpoints. Every failure, file-system errors included, is a SafetensorsError.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { SafetensorsError } from '../errors.js';
import { parseHeader, readHeaderLength, type ParsedHeader, type SafeTensorInfo } from './header.js';

export type { SafeTensorInfo } from './header.js';

/** A tensor as read: `data` is a view of the file's bytes (little-endian), not a copy. */
export interface SafeTensorEntry extends SafeTensorInfo {
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensorEntry>;
  metadata: Record<string, string>;
}

export interface SafetensorsHeader extends ParsedHeader {
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  /** Absolute file offset of the data section (8 + N). */
  dataStart: number;
  fileSize: number;
}

/** Parse and fully validate a safetensors file held in memory. */
export function readSafetensors(bytes: Uint8Array, source = '<buffer>'): SafetensorsFile {
  // A plain Uint8Array view, so entries are never Buffers (Buffer#slice shares memory).
  const all = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = readHeaderLength(all, all.byteLength, source);
  const dataStart = 8 + n;
  const { tensors: infos, metadata } = parseHeader(
    all.subarray(8, dataStart),
    all.byteLength - dataStart,
    source,
  );
  const tensors = new Map<string, SafeTensorEntry>();
  for (const [name, info] of infos) {
    const [begin, end] = info.dataOffsets;
    tensors.set(name, { ...info, data: all.subarray(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

/** Read a whole file and parse it. Files too large for one buffer: use readSafetensorsHeader. */
export async function loadSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(path);
  } catch (err) {
    throw fileError(path, err);
  }
  return readSafetensors(bytes, path);
}

export function loadSafetensorsSync(path: string): SafetensorsFile {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (err) {
    throw fileError(path, err);
  }
  return readSafetensors(bytes, path);
}

/** Read and validate only the header; the data section is checked for size, never read. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const fileSize = (await handle.stat()).size;
    const prefix = await readExactly(handle, 0, Math.min(8, fileSize), path);
    const n = readHeaderLength(prefix, fileSize, path);
    const header = await readExactly(handle, 8, n, path);
    return {
      ...parseHeader(header, fileSize - 8 - n, path),
      headerLength: n,
      dataStart: 8 + n,
      fileSize,
    };
  } catch (err) {
    throw err instanceof SafetensorsError ? err : fileError(path, err);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readExactly(
  handle: fsp.FileHandle,
  position: number,
  length: number,
  path: string,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for (let done = 0; done < length;) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new SafetensorsError(`${path}: file shrank while reading (expected ${length} bytes)`);
    }
    done += bytesRead;
  }
  return out;
}

function fileError(path: string, err: unknown): SafetensorsError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  const reasons: Record<string, string> = {
    ENOENT: 'file not found',
    EISDIR: 'is a directory, not a file',
    EACCES: 'permission denied',
    ERR_FS_FILE_TOO_LARGE: 'file too large to read into memory at once',
  };
  const reason =
    (typeof code === 'string' && Object.hasOwn(reasons, code) ? reasons[code] : undefined) ??
    `cannot read file: ${err instanceof Error ? err.message : String(err)}`;
  return new SafetensorsError(`${path}: ${reason.replace(/\s+/g, ' ')}`, { cause: err });
}
