/**
 * Atomic file writes: the final name only ever points at a complete file.
 *
 * Data goes to a temp file in the same directory (rename is only atomic within one file system),
 * the temp file is fsynced before the rename (otherwise a crash after the rename can leave the new
 * name pointing at a file whose blocks never reached the disk), and the directory is fsynced after
 * it (so the rename itself survives a power loss). A process killed at any point leaves either the
 * old file or the new one under the final name; at worst a stray `.NAME.PID.N.tmp` beside it.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError } from '../errors.js';

/** Bytes, a string (written as UTF-8) or chunks written back to back without concatenating. */
export type AtomicData = Uint8Array | string | readonly Uint8Array[];

let counter = 0;

// A stale temp from a killed process with a recycled pid may hold the name; 'wx' refuses it and we
// move on to the next counter value rather than truncating a file we do not own.
const MAX_NAME_TRIES = 100;

function tempPath(path: string): string {
  counter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${counter}.tmp`);
}

function chunksOf(data: AtomicData): readonly Uint8Array[] {
  if (typeof data === 'string') return [Buffer.from(data, 'utf8')];
  if (data instanceof Uint8Array) return [data];
  return data;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}

// Platforms (Windows, some network file systems) that cannot open or fsync a directory report one
// of these; the rename is still done, so durability of the directory entry is best effort there.
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

function fail(path: string, err: unknown): CheckpointError {
  return new CheckpointError(`cannot write ${path} atomically: ${describe(err)}`, { cause: err });
}

/** Write `data` to `path` so that readers see the old file or the complete new one, never a part. */
export async function writeFileAtomic(path: string, data: AtomicData): Promise<void> {
  const chunks = chunksOf(data);
  let tmp = '';
  let handle: fsp.FileHandle | undefined;
  try {
    for (let tries = 0; handle === undefined; tries++) {
      tmp = tempPath(path);
      try {
        handle = await fsp.open(tmp, 'wx');
      } catch (err) {
        if (errorCode(err) !== 'EEXIST' || tries + 1 >= MAX_NAME_TRIES) {
          tmp = '';
          throw err;
        }
      }
    }
    let position = 0;
    for (const chunk of chunks) {
      // write() may write less than asked (large buffers, signals); loop until the chunk is done.
      for (let done = 0; done < chunk.byteLength;) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(tmp, path);
    tmp = '';
    await syncDir(dirname(path));
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (tmp !== '') await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw fail(path, err);
  }
}

/** Synchronous twin of {@link writeFileAtomic}, for exit handlers and scripts. */
export function writeFileAtomicSync(path: string, data: AtomicData): void {
  const chunks = chunksOf(data);
  let tmp = '';
  let fd: number | undefined;
  try {
    for (let tries = 0; fd === undefined; tries++) {
      tmp = tempPath(path);
      try {
        fd = fs.openSync(tmp, 'wx');
      } catch (err) {
        if (errorCode(err) !== 'EEXIST' || tries + 1 >= MAX_NAME_TRIES) {
          tmp = '';
          throw err;
        }
      }
    }
    let position = 0;
    for (const chunk of chunks) {
      for (let done = 0; done < chunk.byteLength;) {
        const n = fs.writeSync(fd, chunk, done, chunk.byteLength - done, position);
        done += n;
        position += n;
      }
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
    tmp = '';
    syncDirSync(dirname(path));
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one worth reporting
      }
    }
    if (tmp !== '') {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // a temp we cannot remove is harmless next to the error we are about to throw
      }
    }
    throw fail(path, err);
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(err) ?? '')) throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has(errorCode(err) ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
