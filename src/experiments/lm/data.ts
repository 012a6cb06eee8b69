/**
 * The texts of an LM transfer experiment: a source set (pretraining, unlabelled) and a target set
 * (optionally labelled), then the split every method and seed shares. Items carry an `id` so that
 * a held-out target item's parallel source text (the English of a Spanish evaluation verse) is
 * kept out of pretraining: the evaluation never measures memorised content.
 */
import { readFile } from 'node:fs/promises';
import { Generator } from '../../core/rng.js';
import { DatasetError } from '../../data/errors.js';
import { loadSquad, prepareCorpus, readPrepared, type SquadExample } from '../../data/index.js';
import { bookGroup } from './bible.js';
import { loadDebianSections } from './debian.js';
import { prepareDebianQa } from './debian-qa.js';
import type { LmExperiment } from './schema.js';

export interface TextItem {
  text: string;
  id?: string;
  /** Class name (classification targets). */
  label?: string;
  /** The question, context and answers (question-answering targets; `text` joins the first two). */
  qa?: SquadExample;
}

/**
 * Zero-shot cross-lingual evaluation (MAD-X): the labelled target is in one language, the held-out
 * items are evaluated in their translation, and each language's text trains its language adapter.
 */
export interface CrossLingual {
  /** Language codes: the labelled task's language, then the evaluation language. */
  languages: [string, string];
  /** The evaluation-language version of each target item, by id. */
  translations: Map<string, TextItem>;
  /** Unlabelled text per language (items with ids: held-out ones are removed by splitCorpus). */
  texts: Record<string, TextItem[]>;
}

export interface LmCorpus {
  source: TextItem[];
  target: TextItem[];
  /** A written evaluation split (SQuAD's dev file): evaluation draws from it, not from target. */
  dev?: TextItem[];
  crossLingual?: CrossLingual;
  /** What the data is and where it came from, for the report. */
  description: string;
}

/** Load the configured corpus (preparing and caching it the first time). */
export async function loadLmCorpus(
  data: LmExperiment['data'],
  log: (s: string) => void = () => undefined,
): Promise<LmCorpus> {
  if (data.corpus === 'kjv-rv1909') {
    const p = await prepareCorpus('kjv-rv1909', {
      cacheDir: data.cacheDir,
      onProgress: (q) => log(`preparing kjv-rv1909: ${q.stage} ${q.done}/${q.total}\n`),
    });
    const pairs = await readPrepared<{ id: string; en: string; es: string }>(p);
    return {
      source: pairs.map((r) => ({ id: r.id, text: r.en })),
      target: pairs.map((r) => ({ id: r.id, text: r.es })),
      description: `${p.records} verse pairs, KJV (English, source) and Reina-Valera 1909 (Spanish, target); ${p.licence}`,
    };
  }
  if (data.corpus === 'kjv-rv1909-books') return loadBibleBooks(data, log);
  if (data.corpus === 'debian-sections') return loadDebianSections(data.cacheDir, log);
  if (data.corpus === 'debian-qa') {
    const f = await prepareDebianQa(data.cacheDir, { seed: data.splitSeed, ...data.qa }, log);
    const source = JSON.parse(await readFile(f.source, 'utf8')) as TextItem[];
    return { ...(await readSquadCorpus(f.train, f.dev, source)), description: f.description };
  }
  if (data.corpus === 'squad') return readSquadCorpus(data.train!, data.dev!, null);
  return readJsonlCorpus(data.file!);
}

/**
 * The book group of a verse (bible.ts) as a task in English, evaluated zero-shot in Spanish on the
 * same verses; pretraining on the English text plus `pretrainSpanish` Spanish verses (a seeded
 * draw), so Spanish can be a small share of the base model's text, as a low-resource language is.
 */
async function loadBibleBooks(
  data: LmExperiment['data'],
  log: (s: string) => void,
): Promise<LmCorpus> {
  const p = await prepareCorpus('kjv-rv1909', {
    cacheDir: data.cacheDir,
    onProgress: (q) => log(`preparing kjv-rv1909: ${q.stage} ${q.done}/${q.total}\n`),
  });
  const pairs = await readPrepared<{ id: string; en: string; es: string }>(p);
  const en = pairs.map((r) => ({ id: r.id, text: r.en, label: bookGroup(r.id) }));
  const es = pairs.map((r) => ({ id: r.id, text: r.es, label: bookGroup(r.id) }));
  const k = Math.min(data.pretrainSpanish ?? 0, es.length);
  const draw = new Generator(data.splitSeed + 1).permutation(es.length).subarray(0, k);
  const spanish = Array.from(draw, (i) => ({ id: es[i]!.id, text: es[i]!.text }));
  return {
    source: [...en.map((t) => ({ id: t.id, text: t.text })), ...spanish],
    target: en,
    crossLingual: {
      languages: ['en', 'es'],
      translations: new Map(es.map((t) => [t.id, t])),
      texts: {
        en: en.map((t) => ({ id: t.id, text: t.text })),
        es: es.map((t) => ({ id: t.id, text: t.text })),
      },
    },
    description: `${p.records} verse pairs, KJV (English) and Reina-Valera 1909 (Spanish), labelled with their book group (6 classes); pretraining on the English plus ${k} Spanish verses; ${p.licence}`,
  };
}

/**
 * SQuAD train and dev files as a corpus: the training questions are the target, the dev
 * questions the written evaluation split; without `source`, the training contexts (each once)
 * are the pretraining text.
 */
export async function readSquadCorpus(
  train: string,
  dev: string,
  source: TextItem[] | null,
): Promise<LmCorpus> {
  const items = (examples: SquadExample[]): TextItem[] =>
    examples.map((qa) => ({ id: qa.id, text: `${qa.question}\n${qa.context}`, qa }));
  const t = await loadSquad(train);
  const d = await loadSquad(dev);
  const contexts = [...new Set(t.examples.map((e) => e.context))].map((text) => ({ text }));
  return {
    source: source ?? contexts,
    target: items(t.examples),
    dev: items(d.examples),
    description: `SQuAD files ${train} (${t.examples.length} questions) and ${dev} (${d.examples.length})`,
  };
}

/** A user's corpus: JSON lines `{"domain": "source"|"target", "text": ..., "label"?, "id"?}`. */
export async function readJsonlCorpus(file: string): Promise<LmCorpus> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DatasetError(`cannot read corpus ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const out: LmCorpus = { source: [], target: [], description: `JSONL corpus ${file}` };
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch (err) {
      throw new DatasetError(`${where}: not JSON: ${(err as Error).message}`, { cause: err });
    }
    const o = r as Record<string, unknown>;
    if (r === null || typeof r !== 'object' || Array.isArray(r))
      throw new DatasetError(`${where}: expected an object`);
    if (o.domain !== 'source' && o.domain !== 'target')
      throw new DatasetError(
        `${where}: field 'domain' must be "source" or "target", got ${JSON.stringify(o.domain)}`,
      );
    if (typeof o.text !== 'string' || o.text === '')
      throw new DatasetError(`${where}: field 'text' must be a non-empty string`);
    for (const k of ['label', 'id'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'string')
        throw new DatasetError(
          `${where}: field '${k}' must be a string, got ${JSON.stringify(o[k])}`,
        );
    }
    const item: TextItem = { text: o.text };
    if (typeof o.id === 'string') item.id = o.id;
    if (typeof o.label === 'string') item.label = o.label;
    out[o.domain].push(item);
  });
  return out;
}

export interface LmSplit {
  /** Pretraining texts (parallel texts of held-out target items removed). */
  source: TextItem[];
  /** Held-out target items: the same for every method, seed and size. */
  evalSet: TextItem[];
  /** The rest of the target, from which each seed draws its training budget. */
  pool: TextItem[];
  /** Sorted class names (classification), empty otherwise. */
  labels: string[];
  /**
   * Cross-lingual corpora: evalSet is in the evaluation language, `reference` holds the same
   * items in the training language, and `languageTexts` each language's text without them.
   */
  crossLingual?: {
    languages: [string, string];
    reference: TextItem[];
    languageTexts: Record<string, TextItem[]>;
  };
}

export function splitCorpus(corpus: LmCorpus, exp: LmExperiment): LmSplit {
  const { trainSizes, evalSize } = exp.target;
  const items = corpus.target;
  if (corpus.dev !== undefined) return splitWritten(corpus, corpus.dev, exp);
  const need = evalSize + Math.max(...trainSizes);
  if (items.length < need) {
    throw new DatasetError(
      `target set has ${items.length} items; evalSize ${evalSize} + the largest trainSize ${Math.max(...trainSizes)} need ${need}`,
    );
  }
  const labelled = items.filter((t) => t.label !== undefined).length;
  if (exp.target.task === 'classification' && labelled !== items.length) {
    throw new DatasetError(
      `target.task 'classification' needs a label on every target item; ${items.length - labelled} of ${items.length} have none`,
    );
  }
  const order = new Generator(exp.data.splitSeed).permutation(items.length);
  const shuffled = Array.from(order, (i) => items[i]!);
  const evalSet = shuffled.slice(0, evalSize);
  const pool = shuffled.slice(evalSize);
  const heldOut = new Set(evalSet.flatMap((t) => (t.id === undefined ? [] : [t.id])));
  let source = corpus.source.filter((t) => t.id === undefined || !heldOut.has(t.id));
  if (exp.pretrain.maxTexts !== undefined) source = source.slice(0, exp.pretrain.maxTexts);
  if (source.length === 0) throw new DatasetError('the source (pretraining) set is empty');
  const labels =
    exp.target.task === 'classification' ? [...new Set(items.map((t) => t.label!))].sort() : [];
  if (exp.target.task === 'classification' && labels.length < 2) {
    throw new DatasetError(`classification needs at least 2 classes, got ${labels.length}`);
  }
  const cl = corpus.crossLingual;
  if (cl === undefined) return { source, evalSet, pool, labels };
  const translated = evalSet.map((t) => {
    const x = t.id === undefined ? undefined : cl.translations.get(t.id);
    if (x === undefined)
      throw new DatasetError(
        `cross-lingual corpus: no ${cl.languages[1]} version of item '${t.id}'`,
      );
    return x;
  });
  const languageTexts = Object.fromEntries(
    Object.entries(cl.texts).map(([lang, xs]) => [
      lang,
      xs.filter((t) => t.id === undefined || !heldOut.has(t.id)),
    ]),
  );
  return {
    source,
    evalSet: translated,
    pool,
    labels,
    crossLingual: { languages: cl.languages, reference: evalSet, languageTexts },
  };
}

/** A corpus with its own dev split: the first evalSize dev items, the whole target as the pool. */
function splitWritten(corpus: LmCorpus, dev: TextItem[], exp: LmExperiment): LmSplit {
  const { trainSizes, evalSize } = exp.target;
  if (dev.length < evalSize)
    throw new DatasetError(`the dev split has ${dev.length} items; target.evalSize is ${evalSize}`);
  const largest = Math.max(...trainSizes);
  if (corpus.target.length < largest)
    throw new DatasetError(
      `the training split has ${corpus.target.length} items; the largest trainSize is ${largest}`,
    );
  let source = corpus.source;
  if (exp.pretrain.maxTexts !== undefined) source = source.slice(0, exp.pretrain.maxTexts);
  if (source.length === 0) throw new DatasetError('the source (pretraining) set is empty');
  return { source, evalSet: dev.slice(0, evalSize), pool: corpus.target, labels: [] };
}

/** Seed `seed`'s training budget of `size` items: a prefix of its own permutation of the pool,
 * so a seed's smaller budgets are subsets of its larger ones (the data-size curve is nested). */
export function trainSubset(pool: readonly TextItem[], seed: number, size: number): TextItem[] {
  const order = new Generator(1_000_003 + seed).permutation(pool.length);
  return Array.from(order.subarray(0, size), (i) => pool[i]!);
}
