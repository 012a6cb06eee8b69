/**
 * MAD-X in `osmosis lm` on a tiny generated "parallel Bible" (a prepared kjv-rv1909 cache, no
 * installed corpora): the cross-lingual split, the config checks, and an end-to-end run whose
 * language adapters are saved in AdapterHub's layout and reloaded on resume to the same results.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { Generator } from '../../../src/core/rng.js';
import { bookGroup, BOOK_GROUPS } from '../../../src/experiments/lm/bible.js';
import {
  lmJobResultSchema,
  lmResultPath,
  resumeLmExperiment,
  runLmExperiment,
  validateLmExperiment,
} from '../../../src/experiments/lm/index.js';
import { loadLmCorpus, splitCorpus } from '../../../src/experiments/lm/data.js';
import { ZeroShotStack } from '../../../src/experiments/lm/madx.js';
import { ExperimentConfigError } from '../../../src/experiments/schema.js';
import { GPT2ForSequenceClassification } from '../../../src/models/index.js';
import { getPeftModel, pfeifferConfig, pfeifferInvConfig } from '../../../src/peft/index.js';
import { tempDir } from './helpers.js';

/** Books of three groups; each group has its own words, Spanish words are English ones reversed. */
const BOOKS = ['Gen', 'Exod', 'Ps', 'Prov', 'Matt', 'John'];
const WORDS: Record<string, string[]> = {
  law: ['moses', 'egypt', 'tabernacle', 'offering', 'pharaoh'],
  wisdom: ['praise', 'wisdom', 'psalm', 'fool', 'song'],
  gospels: ['jesus', 'disciples', 'parable', 'kingdom', 'galilee'],
};
const FILLER = ['and', 'the', 'lord', 'said', 'unto', 'them', 'of'];

function writeTinyBible(cacheDir: string, n = 180): void {
  const g = new Generator(0);
  const dir = join(cacheDir, 'kjv-rv1909');
  mkdirSync(dir, { recursive: true });
  const lines = Array.from({ length: n }, (_, i) => {
    const book = BOOKS[i % BOOKS.length]!;
    const own = WORDS[bookGroup(`${book}.1.1`)]!;
    const words = Array.from({ length: 6 + g.int(4) }, (_, j) =>
      j % 2 === 0 ? own[g.int(own.length)]! : FILLER[g.int(FILLER.length)]!,
    );
    const es = words.map((w) => [...w].reverse().join(''));
    return JSON.stringify({ id: `${book}.1.${i}`, en: words.join(' '), es: es.join(' ') });
  });
  writeFileSync(join(dir, 'pairs.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({
      name: 'kjv-rv1909',
      version: 1,
      records: n,
      file: 'pairs.jsonl',
      source: 'test',
      licence: 'test',
    }),
  );
}

const config = (extra = ''): string => `name: tiny-madx
seeds: 2
data: { corpus: kjv-rv1909-books, cacheDir: cache, pretrainSpanish: 20 }
tokenizer: { vocabSize: 300, maxTexts: 200 }
model: { dModel: 16, layers: 1, heads: 2 }
pretrain: { steps: 3, batchSize: 4 }
languageAdapters:
  steps: 3
  batchSize: 4
  lr: 0.01
  peft: { peft_type: BOTTLENECK, reduction_factor: 2, inv_adapter: nice, inv_adapter_reduction_factor: 2 }
target: { task: classification, trainSizes: [30], evalSize: 20, steps: 4, evalEvery: 2, batchSize: 4, maxLength: 12 }
methods:
  - { name: adapter, kind: peft, lr: 0.01, peft: { peft_type: BOTTLENECK, reduction_factor: 4 } }
  - { name: madx, kind: madx, lr: 0.01, peft: { peft_type: BOTTLENECK, reduction_factor: 4 } }
${extra}`;

const parse = (yaml: string): unknown => parseYaml(yaml) as unknown;

describe('book groups of verse references', () => {
  it('labels every OSIS book once and names an unknown one', () => {
    const books = Object.values(BOOK_GROUPS).flat();
    expect(books.length).toBe(66);
    expect(new Set(books).size).toBe(66);
    expect(bookGroup('1Cor.13.4')).toBe('letters');
    expect(bookGroup('Ps.23.1')).toBe('wisdom');
    expect(() => bookGroup('Tob.1.1')).toThrow(/Tob\.1\.1.*'Tob'/);
  });
});

describe('ZeroShotStack', () => {
  it('trains through Stack(en, task), evaluates through Stack(es, task) unless told otherwise', () => {
    const base = new GPT2ForSequenceClassification(
      { vocab_size: 50, n_positions: 8, n_embd: 8, n_layer: 1, n_head: 2, num_labels: 3 },
      { rng: new Generator(0) },
    );
    const lang = pfeifferInvConfig({ task_type: 'CAUSAL_LM' });
    const peft = getPeftModel(base, lang, { adapterName: 'en', onWarning: () => undefined });
    peft.addAdapter('es', lang);
    peft.addAdapter('task', pfeifferConfig({ task_type: 'SEQ_CLS' }));
    const m = new ZeroShotStack(peft, ['en', 'es']);
    m.train();
    expect(peft.activeStack).toEqual(['en', 'task']);
    m.eval();
    expect(peft.activeStack).toEqual(['es', 'task']);
    m.evaluateIn('en');
    expect(peft.activeStack).toEqual(['en', 'task']);
    expect(() => m.evaluateIn('fr')).toThrow(/no 'fr' adapter/);
    m.train();
    const trainable = peft.namedParameters().filter(([, p]) => p.requiresGrad);
    for (const [n] of trainable) expect(n).toMatch(/adapters\.task\.|\.score\./);
  });
});

describe('MAD-X configs', () => {
  it('refuses madx without language adapters, adapters off a cross-lingual corpus, non-bottlenecks', () => {
    const issues = (yaml: string): string => {
      try {
        validateLmExperiment(parse(yaml));
      } catch (err) {
        expect(err).toBeInstanceOf(ExperimentConfigError);
        return (err as Error).message;
      }
      return '';
    };
    expect(issues(config())).toBe('');
    const noAdapters = config().replace(
      /languageAdapters:[\s\S]*?inv_adapter_reduction_factor: 2 }\n/,
      '',
    );
    expect(issues(noAdapters)).toMatch(/add a languageAdapters section/);
    expect(issues(config().replace('corpus: kjv-rv1909-books', 'corpus: kjv-rv1909'))).toMatch(
      /pretrainSpanish[\s\S]*language adapters need a cross-lingual corpus/,
    );
    expect(
      issues(
        config().replace(
          'kind: madx, lr: 0.01, peft: { peft_type: BOTTLENECK',
          'kind: madx, lr: 0.01, peft: { peft_type: LORA',
        ),
      ),
    ).toMatch(/'madx' task adapters are bottleneck adapters.*"LORA"/);
    expect(issues(config().replace('inv_adapter: nice', 'inv_adapter: real_nvp'))).toMatch(
      /inv_adapter: expected one of "nice", "glow", got "real_nvp"/,
    );
  });
});

describe('MAD-X in osmosis lm', () => {
  it('splits: Spanish evaluation, English reference, held-out verses out of every training text', async () => {
    const dir = tempDir('madx-split');
    writeTinyBible(join(dir, 'cache'));
    const exp = validateLmExperiment(
      parse(config().replace('cacheDir: cache', `cacheDir: ${join(dir, 'cache')}`)),
    );
    const split = splitCorpus(await loadLmCorpus(exp.data), exp);
    const cl = split.crossLingual!;
    expect(cl.languages).toEqual(['en', 'es']);
    expect(split.evalSet.map((t) => t.id)).toEqual(cl.reference.map((t) => t.id));
    expect(split.evalSet.map((t) => t.label)).toEqual(cl.reference.map((t) => t.label));
    expect(split.evalSet[0]!.text).toBe(
      cl.reference[0]!.text.split(' ')
        .map((w) => [...w].reverse().join(''))
        .join(' '),
    );
    const held = new Set(split.evalSet.map((t) => t.id));
    for (const xs of [split.source, split.pool, cl.languageTexts.en!, cl.languageTexts.es!])
      expect(xs.filter((t) => held.has(t.id!))).toEqual([]);
    expect(cl.languageTexts.es!.length).toBe(180 - 20);
    // English verses plus 20 Spanish ones (those not held out) in pretraining.
    const english = new Set([...split.pool, ...cl.reference].map((t) => t.text));
    const spanish = split.source.filter((t) => !english.has(t.text));
    expect(split.source.length).toBe(160 + spanish.length);
    expect(spanish.length).toBeGreaterThan(10);
    expect(spanish.length).toBeLessThanOrEqual(20);
  });

  it('trains language adapters once, stacks them under the task adapter, and resumes exactly', async () => {
    const dir = tempDir('madx-run');
    writeTinyBible(join(dir, 'cache'));
    writeFileSync(
      join(dir, 'exp.yaml'),
      config().replace('cacheDir: cache', `cacheDir: ${join(dir, 'cache')}`),
    );
    const lines: string[] = [];
    const out = await runLmExperiment(join(dir, 'exp.yaml'), {
      out: join(dir, 'runs'),
      log: (s) => lines.push(s),
    });
    const run = out.runDir;
    expect(out.ran).toBe(4);
    for (const lang of ['en', 'es']) {
      const json = JSON.parse(
        readFileSync(join(run, 'language-adapters', lang, 'adapter_config.json'), 'utf8'),
      );
      expect(json).toMatchObject({ name: lang, config: { inv_adapter: 'nice' } });
      expect(lines.some((l) => l.startsWith(`${lang} language adapter: 3 steps`))).toBe(true);
    }
    const madx = out.summary.rows.find((r) => r.name === 'madx')!;
    const adapter = out.summary.rows.find((r) => r.name === 'adapter')!;
    expect(madx.frozenUnchanged).toBe(true);
    // The same task adapter and head train; madx also holds two (frozen) language adapters.
    expect(madx.params.trainable).toBe(adapter.params.trainable);
    expect(madx.params.total).toBeGreaterThan(adapter.params.total);
    expect(madx.final.reference_accuracy!.n).toBe(2);
    expect(readFileSync(join(run, 'summary.md'), 'utf8')).toContain(
      'accuracy in the training language',
    );
    const path = lmResultPath(run, 30, 'madx', 1);
    const first = lmJobResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    // Evaluated in Spanish and in English: different inputs, so (in general) different losses.
    const last = first.curve.at(-1)!.metrics;
    expect(last.loss).not.toBe(last.reference_loss);

    // Resume without the job: the language adapters load from their files, the job comes out the same.
    rmSync(path);
    const again = await resumeLmExperiment(run);
    expect(again.ran).toBe(1);
    expect(existsSync(path)).toBe(true);
    const redone = lmJobResultSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    expect(redone.curve).toEqual(first.curve);
  });
});
