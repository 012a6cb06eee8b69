/**
 * Reader for SWORD "zText" Bible modules (the format of Debian's sword-text-* packages).
 *
 * Per testament (ot, nt) three files: `.bzs` lists compressed blocks (12 bytes each, little
 * endian: offset in .bzz, compressed size, uncompressed size); `.bzv` lists entries (10 bytes:
 * block number, offset in the uncompressed block, size as uint16); `.bzz` holds the zlib blocks.
 * Entries follow the versification: [0] and [1] testament headings, then per book a heading entry
 * and per chapter a heading entry followed by one entry per verse. Verse text is OSIS markup.
 */
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { DatasetError } from '../errors.js';
import type { Book } from './versification.js';

export interface Verse {
  /** OSIS reference, e.g. "Gen.1.1". */
  id: string;
  text: string;
}

async function read(path: string): Promise<Buffer> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    throw new DatasetError(`cannot read SWORD index file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Every entry of one testament of a zText module, as raw (OSIS) strings. */
export async function readZText(dir: string, testament: 'ot' | 'nt'): Promise<string[]> {
  const [bzs, bzv, bzz] = await Promise.all(
    ['bzs', 'bzv', 'bzz'].map((x) => read(join(dir, `${testament}.${x}`))),
  );
  const where = join(dir, testament);
  if (bzs!.length % 12 !== 0)
    throw new DatasetError(`${where}.bzs: size ${bzs!.length} is not a multiple of 12`);
  if (bzv!.length % 10 !== 0)
    throw new DatasetError(`${where}.bzv: size ${bzv!.length} is not a multiple of 10`);
  const blocks = new Map<number, Buffer>();
  const block = (b: number, entry: number): Buffer => {
    const hit = blocks.get(b);
    if (hit) return hit;
    if ((b + 1) * 12 > bzs!.length) {
      throw new DatasetError(
        `${where}.bzv entry ${entry}: block ${b} is not in .bzs (${bzs!.length / 12} blocks)`,
      );
    }
    const offset = bzs!.readUInt32LE(b * 12);
    const size = bzs!.readUInt32LE(b * 12 + 4);
    if (offset + size > bzz!.length) {
      throw new DatasetError(
        `${where}.bzs block ${b}: bytes ${offset}..${offset + size} lie beyond .bzz (${bzz!.length} bytes)`,
      );
    }
    let data: Buffer;
    try {
      data = inflateSync(bzz!.subarray(offset, offset + size));
    } catch (err) {
      throw new DatasetError(
        `${where}.bzz block ${b}: not valid zlib data (${(err as Error).message})`,
        { cause: err },
      );
    }
    blocks.set(b, data);
    return data;
  };
  const out: string[] = [];
  for (let i = 0; i < bzv!.length / 10; i++) {
    const size = bzv!.readUInt16LE(i * 10 + 8);
    if (size === 0) {
      out.push('');
      continue;
    }
    const data = block(bzv!.readUInt32LE(i * 10), i);
    const start = bzv!.readUInt32LE(i * 10 + 4);
    if (start + size > data.length) {
      throw new DatasetError(
        `${where}.bzv entry ${i}: bytes ${start}..${start + size} lie beyond its block (${data.length} bytes)`,
      );
    }
    out.push(data.subarray(start, start + size).toString('utf8'));
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Plain text of an OSIS verse: notes and titles dropped, tags removed, whitespace collapsed. */
export function osisToText(markup: string): string {
  return markup
    .replace(/<note\b[^>]*\/>|<note\b[\s\S]*?<\/note>/g, ' ')
    .replace(/<title\b[\s\S]*?<\/title>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/\u00b6/g, ' ') // KJV's paragraph marks
    .replace(/&(#x?[0-9a-fA-F]+|\w+);/g, (m, e: string) => {
      if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
      if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
      return ENTITIES[e] ?? m;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** The verses of one testament, labelled by the versification (which must fit the index). */
export async function readVerses(
  dir: string,
  testament: 'ot' | 'nt',
  books: Book[],
): Promise<Verse[]> {
  const entries = await readZText(dir, testament);
  const expected =
    2 + books.reduce((n, b) => n + 1 + b.verses.length + b.verses.reduce((a, v) => a + v, 0), 0);
  if (entries.length !== expected) {
    throw new DatasetError(
      `${join(dir, testament)}.bzv has ${entries.length} entries but the KJV versification needs ${expected}: ` +
        'the module uses another versification',
    );
  }
  const out: Verse[] = [];
  let i = 2;
  for (const b of books) {
    i++; // book heading
    b.verses.forEach((n, c) => {
      i++; // chapter heading
      for (let v = 1; v <= n; v++)
        out.push({ id: `${b.name}.${c + 1}.${v}`, text: osisToText(entries[i++]!) });
    });
  }
  return out;
}
