/**
 * Debian package summaries labelled with their archive section, from `apt-cache dumpavail` (the
 * Packages indexes apt keeps; no network). The target is the 16 topical sections of DATA.md;
 * summaries of every other section (libs, python, devel, ...) are the unlabelled source text.
 * Package names are masked in the summaries (a name like python3-foo gives its section away),
 * and a summary that occurs more than once is kept once, so no text is both trained on and
 * evaluated.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { DatasetError } from '../../data/errors.js';
import type { LmCorpus, TextItem } from './data.js';

export const TOPICAL_SECTIONS = [
  'admin',
  'database',
  'editors',
  'electronics',
  'fonts',
  'games',
  'graphics',
  'hamradio',
  'mail',
  'math',
  'net',
  'science',
  'sound',
  'text',
  'video',
  'web',
] as const;

const VERSION = 1;

interface Package {
  name: string;
  section: string;
  summary: string;
}

/** Parse Packages-file stanzas (Debian control syntax) into name, section and summary. */
export function parsePackages(text: string): Package[] {
  const out: Package[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}: *(.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const section = field('Section');
    const summary = field('Description');
    if (!name || !section || !summary) continue;
    out.push({ name, section: section.replace(/^.*\//, ''), summary });
  }
  return out;
}

/** `summary` with every mention of the package's name replaced by "this package". */
export function maskPackageName(summary: string, name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return summary.replace(new RegExp(escaped, 'gi'), 'this package');
}

/** Source and target items from parsed packages (deduplicated, names masked). */
export function debianCorpus(packages: readonly Package[]): LmCorpus {
  const topical = new Set<string>(TOPICAL_SECTIONS);
  const seen = new Set<string>();
  const source: TextItem[] = [];
  const target: TextItem[] = [];
  const sorted = [...packages].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const counts = new Map<string, number>();
  for (const p of sorted) {
    const text = maskPackageName(p.summary, p.name);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  for (const p of sorted) {
    const text = maskPackageName(p.summary, p.name);
    // Repeated summaries ("transitional package") say nothing about one package: dropped.
    if (counts.get(text)! > 1 || seen.has(text)) continue;
    seen.add(text);
    if (topical.has(p.section)) target.push({ id: p.name, text, label: p.section });
    else source.push({ id: p.name, text });
  }
  return {
    source,
    target,
    description: `${target.length} Debian package summaries in ${TOPICAL_SECTIONS.length} topical sections (target) and ${source.length} from other sections (source), from apt-cache dumpavail; package names masked`,
  };
}

/** The corpus from `apt-cache dumpavail`, cached as JSON under `<cacheDir>/debian-sections/`. */
export async function loadDebianSections(
  cacheDir: string,
  log: (s: string) => void = () => undefined,
): Promise<LmCorpus> {
  const file = join(cacheDir, 'debian-sections', `corpus-v${VERSION}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LmCorpus;
  } catch {
    // not cached yet
  }
  log('preparing debian-sections: apt-cache dumpavail\n');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('apt-cache', ['dumpavail'], {
      maxBuffer: 1 << 30,
      encoding: 'utf8',
    }));
  } catch (err) {
    throw new DatasetError(
      `corpus 'debian-sections' reads the apt package indexes with 'apt-cache dumpavail', which failed (${(err as Error).message.split('\n')[0]}); on Debian/Ubuntu run apt-get update first`,
      { cause: err },
    );
  }
  const corpus = debianCorpus(parsePackages(stdout));
  if (corpus.target.length === 0) {
    throw new DatasetError(
      "corpus 'debian-sections': apt-cache dumpavail listed no package in the topical sections; run apt-get update first",
    );
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(corpus));
  log(`debian-sections: ${corpus.description}\n`);
  return corpus;
}
