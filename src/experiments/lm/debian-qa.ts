/**
 * An extractive QA set in SQuAD v1.1 JSON built from Debian's package descriptions (DATA.md,
 * "Debian summary -> package name"): the question is a package's one-line summary with the
 * package name masked, the context is the first paragraph of its long description shuffled among
 * `distractors` first paragraphs of other packages, and the answer is the first mention of the
 * package name in its own paragraph. Answering needs the summary matched to the right paragraph:
 * each distractor mentions its own package's name too, so "the first name-like word" is wrong
 * most of the time.
 *
 * Packages are split once (seeded) into train and dev; a split's distractors come from the same
 * split, so no dev paragraph appears in train contexts. The pretraining (source) texts are the
 * descriptions of every package that is not in dev. The long descriptions come from apt's
 * Translation-en indexes (`apt-get update -o Acquire::Languages=en` fetches them) and from the
 * installed packages (/var/lib/dpkg/status), both read at run time; nothing is shipped.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Generator } from '../../core/rng.js';
import { writeFileAtomic } from '../../core/io/atomic.js';
import { DatasetError } from '../../data/errors.js';
import { maskPackageName } from './debian.js';
import type { TextItem } from './data.js';

const VERSION = 1;

export interface PackageDescription {
  name: string;
  summary: string;
  /** The long description's paragraphs, lines joined by spaces. */
  paragraphs: string[];
}

/** Stanzas with `Package` and `Description` (dpkg status) or `Description-en` (Translation-en). */
export function parseDescriptions(text: string): PackageDescription[] {
  const out: PackageDescription[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const name = /^Package: *(\S+)/m.exec(stanza)?.[1];
    const m = /^Description(?:-en)?: *(.*)\n?((?:[ \t].*(?:\n|$))*)/m.exec(stanza);
    if (!name || !m || m[1]!.trim() === '') continue;
    const paragraphs: string[] = [];
    let lines: string[] = [];
    for (const raw of m[2]!.split('\n')) {
      const line = raw.trim();
      if (line === '.' || line === '') {
        if (lines.length > 0) paragraphs.push(lines.join(' '));
        lines = [];
      } else lines.push(line);
    }
    if (lines.length > 0) paragraphs.push(lines.join(' '));
    out.push({ name, summary: m[1]!.trim(), paragraphs });
  }
  return out;
}

/** UTF-16 index of the first whole-word, case-insensitive mention of `name`, or -1. */
export function firstMention(text: string, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A name continues through letters, digits and '+', and through '.' or '-' followed by one:
  // "foo" is not mentioned in "foo-utils", but is in "foo." at the end of a sentence.
  const re = new RegExp(`(?<![A-Za-z0-9+.-])${escaped}(?![A-Za-z0-9+]|[.-][A-Za-z0-9])`, 'i');
  return re.exec(text)?.index ?? -1;
}

export interface DebianQaOptions {
  /** Seeds the train/dev split and the distractors. */
  seed: number;
  /** Questions in the dev split. */
  devSize: number;
  /** Other packages' paragraphs in each context. */
  distractors: number;
  /** Paragraphs longer than this (characters) are not used. */
  maxParagraphChars: number;
}

interface Item {
  name: string;
  question: string;
  paragraph: string;
  /** UTF-16 index of the answer in the paragraph. */
  at: number;
}

type SquadJson = {
  version: string;
  data: { title: string; paragraphs: { context: string; qas: unknown[] }[] }[];
};

function squadJson(title: string, items: readonly Item[], rng: Generator, k: number): SquadJson {
  const paragraphs = items.map((item, i) => {
    const others = new Set<number>();
    while (others.size < Math.min(k, items.length - 1)) {
      const j = rng.int(items.length);
      if (j !== i) others.add(j);
    }
    const parts = [item.paragraph, ...[...others].map((j) => items[j]!.paragraph)];
    const order = rng.permutation(parts.length);
    let start = -1;
    let context = '';
    for (const p of order) {
      if (context !== '') context += '\n\n';
      if (p === 0) start = context.length + item.at;
      context += parts[p]!;
    }
    const text = context.slice(start, start + item.name.length);
    // SQuAD counts code points (Python string indices), not UTF-16 units.
    const answerStart = [...context.slice(0, start)].length;
    return {
      context,
      qas: [
        {
          id: `debian-qa-${item.name}`,
          question: item.question,
          answers: [{ text, answer_start: answerStart }],
        },
      ],
    };
  });
  return { version: '1.1', data: [{ title, paragraphs }] };
}

/** The train and dev SQuAD files' JSON and the pretraining texts; see the file comment. */
export function buildDebianQa(
  packages: readonly PackageDescription[],
  o: DebianQaOptions,
): { train: SquadJson; dev: SquadJson; source: TextItem[] } {
  const byName = new Map<string, PackageDescription>();
  for (const p of packages) if (!byName.has(p.name)) byName.set(p.name, p);
  const sorted = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const summaries = new Map<string, number>();
  for (const p of sorted) {
    const q = maskPackageName(p.summary, p.name);
    summaries.set(q, (summaries.get(q) ?? 0) + 1);
  }
  const items: Item[] = [];
  for (const p of sorted) {
    const question = maskPackageName(p.summary, p.name);
    const paragraph = p.paragraphs[0];
    // A summary shared by several packages ("transitional package") has no single answer.
    if (summaries.get(question)! > 1 || !paragraph || paragraph.length > o.maxParagraphChars)
      continue;
    const at = firstMention(paragraph, p.name);
    if (at >= 0 && p.name.length >= 2) items.push({ name: p.name, question, paragraph, at });
  }
  if (items.length < o.devSize + 2) {
    throw new DatasetError(
      `debian-qa: ${items.length} packages have a description that mentions their name; devSize ${o.devSize} needs more (are apt's Translation-en lists there? apt-get update -o Acquire::Languages=en)`,
    );
  }
  const rng = new Generator(o.seed);
  const order = rng.permutation(items.length);
  const shuffled = Array.from(order, (i) => items[i]!);
  const dev = shuffled.slice(0, o.devSize);
  const train = shuffled.slice(o.devSize);
  const inDev = new Set(dev.map((d) => d.name));
  // Shuffled, so that pretrain.maxTexts takes a sample rather than the names starting with 0-c.
  const kept = sorted.filter((p) => !inDev.has(p.name));
  const source = Array.from(new Generator(o.seed + 1).permutation(kept.length), (i) => {
    const p = kept[i]!;
    return { id: p.name, text: [p.summary, ...p.paragraphs].join('\n') };
  });
  return {
    train: squadJson('Debian package descriptions (train)', train, rng, o.distractors),
    dev: squadJson('Debian package descriptions (dev)', dev, rng, o.distractors),
    source,
  };
}

const LISTS = '/var/lib/apt/lists';
const STATUS = '/var/lib/dpkg/status';

/** The text of apt's Translation-en indexes (apt-helper decompresses them) and dpkg's status. */
async function readDescriptionFiles(): Promise<{ text: string; files: string[] }> {
  const names = fs.existsSync(LISTS)
    ? fs.readdirSync(LISTS).filter((f) => /_i18n_Translation-en(\.\w+)?$/.test(f))
    : [];
  const files = names.sort().map((f) => join(LISTS, f));
  const texts: string[] = [];
  for (const f of files) {
    try {
      const { stdout } = await promisify(execFile)('/usr/lib/apt/apt-helper', ['cat-file', f], {
        maxBuffer: 1 << 30,
        encoding: 'utf8',
      });
      texts.push(stdout);
    } catch (err) {
      throw new DatasetError(
        `debian-qa: cannot read ${f} with apt-helper cat-file: ${(err as Error).message.split('\n')[0]}`,
        { cause: err },
      );
    }
  }
  if (fs.existsSync(STATUS)) {
    texts.push(fs.readFileSync(STATUS, 'utf8'));
    files.push(STATUS);
  }
  return { text: texts.join('\n\n'), files };
}

export interface DebianQaFiles {
  train: string;
  dev: string;
  source: string;
  description: string;
}

/**
 * Build the set once per options under `<cacheDir>/debian-qa/` (train-v1.1.json, dev-v1.1.json,
 * source.json, about.json) and return the paths; later calls reuse the files.
 */
export async function prepareDebianQa(
  cacheDir: string,
  o: DebianQaOptions,
  log: (s: string) => void = () => undefined,
): Promise<DebianQaFiles> {
  const dir = join(
    cacheDir,
    'debian-qa',
    `v${VERSION}-seed${o.seed}-dev${o.devSize}-k${o.distractors}-max${o.maxParagraphChars}`,
  );
  const files = {
    train: join(dir, 'train-v1.1.json'),
    dev: join(dir, 'dev-v1.1.json'),
    source: join(dir, 'source.json'),
  };
  const about = join(dir, 'about.json');
  if (fs.existsSync(about)) {
    const { description } = JSON.parse(await readFile(about, 'utf8')) as { description: string };
    return { ...files, description };
  }
  log('preparing debian-qa: reading package descriptions\n');
  const { text, files: read } = await readDescriptionFiles();
  const built = buildDebianQa(parseDescriptions(text), o);
  const count = (s: SquadJson): number => s.data[0]!.paragraphs.length;
  const description = `${count(built.train)} train and ${count(built.dev)} dev questions (Debian summary -> package name, ${o.distractors} distractor paragraphs per context, split seed ${o.seed}) and ${built.source.length} pretraining descriptions, from ${read.join(', ')}`;
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(files.train, JSON.stringify(built.train));
  await writeFileAtomic(files.dev, JSON.stringify(built.dev));
  await writeFileAtomic(files.source, JSON.stringify(built.source));
  await writeFileAtomic(about, JSON.stringify({ description }));
  log(`debian-qa: ${description}\n`);
  return { ...files, description };
}
