/**
 * The stored (uncompressed) entries of a zip file, as torch.save writes them (torch-bin.ts).
 * Errors are Fail with a message; the caller names the file.
 */

export class Fail extends Error {}
export const fail = (msg: string): never => {
  throw new Fail(msg);
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
export function text(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return fail('a string is not valid UTF-8');
  }
}

/** The stored (uncompressed) entries of a zip file, by name. */
export function zipEntries(b: Uint8Array): Map<string, Uint8Array> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (at: number, n: number, what: string) => {
    if (at < 0 || at + n > b.length) fail(`truncated zip (${what} at byte ${at})`);
  };
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip file (no end-of-central-directory record)');
  const count = dv.getUint16(eocd + 10, true);
  const dirOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff) fail('zip64 archives are not read');
  const out = new Map<string, Uint8Array>();
  let p = dirOffset;
  for (let k = 0; k < count; k++) {
    need(p, 46, 'central directory entry');
    if (dv.getUint32(p, true) !== 0x02014b50) fail(`bad central directory entry at byte ${p}`);
    const method = dv.getUint16(p + 10, true);
    const size = dv.getUint32(p + 20, true);
    const unpacked = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const local = dv.getUint32(p + 42, true);
    need(p + 46, nameLength, 'entry name');
    const name = text(b.subarray(p + 46, p + 46 + nameLength));
    p += 46 + nameLength + dv.getUint16(p + 30, true) + dv.getUint16(p + 32, true);
    if (method !== 0) fail(`zip entry '${name}' is compressed (method ${method})`);
    if (size !== unpacked) fail(`zip entry '${name}' sizes differ (${size} vs ${unpacked})`);
    need(local, 30, `local header of '${name}'`);
    if (dv.getUint32(local, true) !== 0x04034b50) fail(`bad local header of '${name}'`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    need(start, size, `data of '${name}'`);
    if (out.has(name)) fail(`duplicate zip entry '${name}'`);
    out.set(name, b.subarray(start, start + size));
  }
  return out;
}
