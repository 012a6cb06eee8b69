/**
 * The config of a language-model transfer experiment (`osmosis lm <file.yaml>`): a small model
 * pretrained on a source text set (a GPT-2 as a causal LM, or a BERT by masked LM), then
 * transferred to a target (held-out perplexity of a causal LM in another language, a labelled
 * classification task, or extractive question answering) by several methods under a fixed data
 * and step budget. Validated strictly, every problem reported with its path, with the
 * experiment runner's YAML parsing and error type (../schema.ts), and `peft` blocks checked
 * against the PEFT method's own schema.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { peftMethodForType } from '../../peft/index.js';
import {
  ExperimentConfigError,
  findForbiddenKeys,
  parseExperimentYaml,
  toConfigIssues,
  type ConfigIssue,
} from '../schema.js';

const int = z.number().int();
const slug = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected letters, digits, "_", "." or "-"');
const lr = z.number().positive().finite();

/**
 * The corpora a run can draw from (data.ts builds each); 'jsonl' is a user's file, 'squad' a
 * user's SQuAD train and dev files (their contexts are the pretraining text); 'kjv-rv1909-books'
 * the verses' book groups, trained in English and evaluated zero-shot in Spanish (MAD-X).
 */
export const LM_CORPORA = [
  'kjv-rv1909',
  'debian-sections',
  'debian-qa',
  'jsonl',
  'squad',
  'kjv-rv1909-books',
] as const;

/** How corpus 'debian-qa' builds its questions (debian-qa.ts). */
const debianQaSchema = z
  .object({
    /** Questions in the written dev split (target.evalSize of them are scored). */
    devSize: int.positive().default(1000),
    /** Other packages' paragraphs in each context. */
    distractors: int.nonnegative().default(2),
    /** Description paragraphs longer than this (characters) are left out. */
    maxParagraphChars: int.positive().default(500),
  })
  .strict();

const dataSchema = z
  .object({
    corpus: z.enum(LM_CORPORA),
    /** The JSONL file of corpus 'jsonl' (relative to the config file). */
    file: z.string().min(1).optional(),
    /** The SQuAD v1.1/v2.0 train and dev files of corpus 'squad' (relative to the config file). */
    train: z.string().min(1).optional(),
    dev: z.string().min(1).optional(),
    qa: debianQaSchema.prefault({}),
    /** Where prepared corpora are cached (relative to the working directory; runs/ is ignored by git). */
    cacheDir: z.string().min(1).default('runs/cache'),
    /** Seeds the split into held-out target evaluation data and the target training pool. */
    splitSeed: int.nonnegative().default(0),
    /**
     * 'kjv-rv1909-books': Spanish verses added to the English pretraining text (0: English
     * only). Optional without a default, so that other configs resolve (and hash) as before.
     */
    pretrainSpanish: int.nonnegative().optional(),
  })
  .strict();

const tokenizerSchema = z
  .object({
    /** Byte-level BPE vocabulary (256 bytes + specials + merges). */
    vocabSize: int.min(300).max(65_536).default(2048),
    /** Texts the tokenizer is trained on, half source and half target training pool. */
    maxTexts: int.positive().default(20_000),
  })
  .strict();

const modelSchema = z
  .object({
    /** gpt2 pretrains as a causal LM, bert by masked LM (bert runs question answering only). */
    family: z.enum(['gpt2', 'bert']).default('gpt2'),
    dModel: int.positive().default(128),
    layers: int.positive().default(2),
    heads: int.positive().default(4),
    /** Tokens per LM block, and the positions the model has. */
    blockSize: int.min(8).default(64),
    dropout: z.number().min(0).lt(1).default(0),
  })
  .strict();

const phase = {
  steps: int.positive(),
  batchSize: int.positive().default(16),
  warmupSteps: int.nonnegative().default(0),
};

const pretrainSchema = z
  .object({
    ...phase,
    lr: lr.default(1e-3),
    /** Seed of the one pretrained model every seed of the transfer starts from. */
    seed: int.nonnegative().default(0),
    /** Cap on the source texts used (default: all). */
    maxTexts: int.positive().optional(),
    /** bert: the share of tokens masked (BERT's 15%). */
    mlmProbability: z.number().gt(0).lt(1).default(0.15),
  })
  .strict();

const targetSchema = z
  .object({
    ...phase,
    task: z.enum(['causal-lm', 'classification', 'question-answering']),
    /** Learning rate of every method that does not set its own (unused when lrGrid is set). */
    lr: lr.default(1e-3),
    /**
     * Learning rates searched by every method that sets neither lr nor lrGrid: each is trained
     * with every rate and the one best on the validation split is reported (needs
     * validationFraction).
     */
    lrGrid: z.array(lr).min(1).optional(),
    /**
     * Share of each seed's training budget held out as its validation split (the LR search picks
     * on it); every method then trains on the rest, so all see the same examples.
     */
    validationFraction: z.number().gt(0).lt(1).optional(),
    /** Target training examples per run; more than one value gives a data-size curve. */
    trainSizes: z.array(int.positive()).min(1),
    /** Held-out target examples, the same for every method, seed and size. */
    evalSize: int.positive(),
    /** Evaluate every this many steps (and at the end). */
    evalEvery: int.positive(),
    /** Classification: texts are cut to this many tokens; QA: tokens per question+context window. */
    maxLength: int.min(2).default(64),
    /** QA: tokens shared by consecutive windows of a long context (run_qa.py's doc_stride). */
    docStride: int.positive().default(32),
  })
  .strict();

/**
 * MAD-X's language adapters (Pfeiffer et al. 2020): one per language of a cross-lingual corpus,
 * trained by causal-LM loss on that language's text with the pretrained model frozen, before any
 * method runs; `peft` is a bottleneck config (with inv_adapter 'nice' for invertible adapters).
 */
const languageAdaptersSchema = z
  .object({ ...phase, lr: lr.default(1e-3), peft: z.record(z.string(), z.unknown()) })
  .strict();

const methodBase = {
  name: slug,
  lr: lr.optional(),
  /** This method's learning-rate search (instead of lr): see target.lrGrid. */
  lrGrid: z.array(lr).min(1).optional(),
  /** The target.trainSizes this method runs at (default: all of them). */
  sizes: z.array(int.positive()).min(1).optional(),
};
export const lmMethodSchema = z.discriminatedUnion('kind', [
  /** The same model freshly initialised: the no-transfer baseline. */
  z.object({ ...methodBase, kind: z.literal('scratch') }).strict(),
  /** Every weight of the pretrained model trained. */
  z.object({ ...methodBase, kind: z.literal('full') }).strict(),
  /** Classification only: frozen pretrained body, a new linear head (a linear probe). */
  z.object({ ...methodBase, kind: z.literal('head') }).strict(),
  /** Frozen pretrained body plus a PEFT method (src/peft), its config in PEFT's field names. */
  z
    .object({
      ...methodBase,
      kind: z.literal('peft'),
      peft: z.record(z.string(), z.unknown()),
    })
    .strict(),
  /**
   * MAD-X: frozen body, the run's language adapters, and a new task adapter (`peft`, bottleneck)
   * stacked on the training language's adapter; evaluated with the other language's swapped in.
   */
  z
    .object({
      ...methodBase,
      kind: z.literal('madx'),
      peft: z.record(z.string(), z.unknown()),
    })
    .strict(),
]);

const topSchema = z
  .object({
    name: slug,
    description: z.string().optional(),
    /** A count n (seeds 0..n-1) or the list of seeds. */
    seeds: z.union([int.min(1).max(1000), z.array(int.nonnegative()).min(1)]),
    data: dataSchema,
    tokenizer: tokenizerSchema.prefault({}),
    model: modelSchema.prefault({}),
    pretrain: pretrainSchema,
    target: targetSchema,
    methods: z.array(lmMethodSchema).min(1),
    languageAdapters: languageAdaptersSchema.optional(),
    /** Coverage of the confidence intervals over seeds (Student t). */
    ciLevel: z.number().gt(0).lt(1).default(0.95),
  })
  .strict();

export type LmMethod = z.infer<typeof lmMethodSchema>;

/** Whether a method runs at a train size. */
export function runsAt(method: LmMethod, size: number): boolean {
  return method.sizes === undefined || method.sizes.includes(size);
}
export type LmExperiment = Omit<z.infer<typeof topSchema>, 'seeds'> & { seeds: number[] };

/** The learning rates a method trains with: its grid, its lr, the target's grid or lr. */
export function lrsOf(exp: Pick<LmExperiment, 'target'>, method: LmMethod): number[] {
  if (method.lrGrid !== undefined) return method.lrGrid;
  if (method.lr !== undefined) return [method.lr];
  return exp.target.lrGrid ?? [exp.target.lr];
}

/** Examples of a training budget of `size` held out for validation (0 without validation). */
export function validationCount(exp: Pick<LmExperiment, 'target'>, size: number): number {
  const f = exp.target.validationFraction;
  return f === undefined ? 0 : Math.round(size * f);
}

/** Validate a parsed config; returns it with defaults filled in and paths resolved. */
export function validateLmExperiment(
  raw: unknown,
  options: { file?: string; baseDir?: string } = {},
): LmExperiment {
  const file = options.file ?? '<config>';
  const issues: ConfigIssue[] = [];
  findForbiddenKeys(raw, [], issues);
  if (issues.length > 0) throw new ExperimentConfigError(file, issues);
  const parsed = topSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new ExperimentConfigError(file, toConfigIssues(parsed.error.issues, []));
  }
  const c = parsed.data;
  const seeds =
    typeof c.seeds === 'number' ? Array.from({ length: c.seeds }, (_, i) => i) : c.seeds;
  if (new Set(seeds).size !== seeds.length) {
    issues.push({ path: ['seeds'], message: `seeds repeat: ${seeds.join(', ')}` });
  }
  if (c.model.dModel % c.model.heads !== 0) {
    issues.push({
      path: ['model', 'heads'],
      message: `dModel ${c.model.dModel} is not divisible by heads ${c.model.heads}`,
    });
  }
  if (new Set(c.target.trainSizes).size !== c.target.trainSizes.length) {
    issues.push({ path: ['target', 'trainSizes'], message: 'sizes repeat' });
  }
  const qa = c.target.task === 'question-answering';
  if (!qa && c.model.family === 'bert') {
    issues.push({
      path: ['model', 'family'],
      message: `target.task '${c.target.task}' runs on 'gpt2', got 'bert' (bert runs question answering)`,
    });
  }
  if (qa !== (c.data.corpus === 'debian-qa' || c.data.corpus === 'squad')) {
    issues.push({
      path: ['data', 'corpus'],
      message: qa
        ? `target.task 'question-answering' needs corpus 'debian-qa' or 'squad', got '${c.data.corpus}'`
        : `corpus '${c.data.corpus}' holds questions: it needs target.task 'question-answering'`,
    });
  }
  for (const k of ['train', 'dev'] as const) {
    if ((c.data.corpus === 'squad') !== (c.data[k] !== undefined)) {
      issues.push({
        path: ['data', k],
        message:
          c.data.corpus === 'squad'
            ? "missing (corpus 'squad' reads a train and a dev file)"
            : `only corpus 'squad' reads a ${k} file`,
      });
    }
  }
  if (qa && c.target.docStride >= c.target.maxLength) {
    issues.push({
      path: ['target', 'docStride'],
      message: `${c.target.docStride} must be below target.maxLength ${c.target.maxLength}`,
    });
  }
  issues.push(...crossLingualIssues(c));
  if (c.data.corpus === 'jsonl' && c.data.file === undefined) {
    issues.push({ path: ['data', 'file'], message: "missing (corpus 'jsonl' reads a file)" });
  }
  if (c.data.corpus !== 'jsonl' && c.data.file !== undefined) {
    issues.push({ path: ['data', 'file'], message: `only corpus 'jsonl' reads a file` });
  }
  const names = new Map<string, number>();
  c.methods.forEach((m, i) => {
    const j = names.get(m.name);
    if (j !== undefined) {
      issues.push({
        path: ['methods', i, 'name'],
        message: `duplicate method name "${m.name}" (also methods[${j}])`,
      });
    }
    names.set(m.name, i);
    if (m.kind === 'head' && c.target.task !== 'classification') {
      issues.push({
        path: ['methods', i, 'kind'],
        message: "'head' trains a new classification head: it needs target.task 'classification'",
      });
    }
    if (m.kind === 'peft' || m.kind === 'madx')
      issues.push(...peftIssues(m.peft, ['methods', i, 'peft']));
    if (m.lr !== undefined && m.lrGrid !== undefined) {
      issues.push({
        path: ['methods', i, 'lrGrid'],
        message: 'set either lr or lrGrid, not both',
      });
    }
    for (const size of m.sizes ?? []) {
      if (!c.target.trainSizes.includes(size)) {
        issues.push({
          path: ['methods', i, 'sizes'],
          message: `${size} is not one of target.trainSizes (${c.target.trainSizes.join(', ')})`,
        });
      }
    }
  });
  const grids: [(string | number)[], number[] | undefined][] = [
    [['target', 'lrGrid'], c.target.lrGrid],
    ...c.methods.map((m, i): [(string | number)[], number[] | undefined] => [
      ['methods', i, 'lrGrid'],
      m.lrGrid,
    ]),
  ];
  for (const [at, grid] of grids) {
    if (grid === undefined) continue;
    if (new Set(grid).size !== grid.length)
      issues.push({ path: at, message: `learning rates repeat: ${grid.join(', ')}` });
    if (grid.length > 1 && c.target.validationFraction === undefined)
      issues.push({
        path: at,
        message: `${grid.length} learning rates need target.validationFraction: the validation split they are picked on`,
      });
  }
  for (const size of c.target.trainSizes) {
    const v = validationCount(c, size);
    if (c.target.validationFraction !== undefined && (v < 1 || v >= size)) {
      issues.push({
        path: ['target', 'validationFraction'],
        message: `${c.target.validationFraction} of trainSize ${size} leaves ${v} validation and ${size - v} training examples; each needs at least 1`,
      });
    }
  }
  if (issues.length > 0) throw new ExperimentConfigError(file, issues);
  const files: Partial<Record<'file' | 'train' | 'dev', string>> = {};
  for (const k of ['file', 'train', 'dev'] as const) {
    const f = c.data[k];
    if (f !== undefined) files[k] = resolve(options.baseDir ?? '.', f);
  }
  return { ...c, seeds, data: { ...c.data, ...files } };
}

/** The MAD-X parts: language adapters, madx methods and the cross-lingual corpus go together. */
function crossLingualIssues(c: z.infer<typeof topSchema>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const books = c.data.corpus === 'kjv-rv1909-books';
  if (c.data.pretrainSpanish !== undefined && !books)
    issues.push({
      path: ['data', 'pretrainSpanish'],
      message: "only corpus 'kjv-rv1909-books' mixes Spanish into pretraining",
    });
  if (books && c.target.task !== 'classification')
    issues.push({
      path: ['target', 'task'],
      message: `corpus 'kjv-rv1909-books' is a classification task, got '${c.target.task}'`,
    });
  const madx = c.methods.findIndex((m) => m.kind === 'madx');
  const la = c.languageAdapters;
  if (madx >= 0 && la === undefined)
    issues.push({
      path: ['methods', madx, 'kind'],
      message: "'madx' stacks the run's language adapters: add a languageAdapters section",
    });
  if (la !== undefined && !books)
    issues.push({
      path: ['languageAdapters'],
      message: `language adapters need a cross-lingual corpus ('kjv-rv1909-books'), got '${c.data.corpus}'`,
    });
  if (la !== undefined) issues.push(...peftIssues(la.peft, ['languageAdapters', 'peft']));
  const adapters = [
    ...c.methods.map((m, i) =>
      m.kind === 'madx'
        ? { what: "'madx' task adapters", type: m.peft.peft_type, at: ['methods', i, 'peft'] }
        : null,
    ),
    la
      ? { what: 'language adapters', type: la.peft.peft_type, at: ['languageAdapters', 'peft'] }
      : null,
  ];
  for (const a of adapters) {
    if (a !== null && a.type !== 'BOTTLENECK')
      issues.push({
        path: [...a.at, 'peft_type'],
        message: `${a.what} are bottleneck adapters (peft_type 'BOTTLENECK'), got ${JSON.stringify(a.type)}`,
      });
  }
  return issues;
}

/** A PEFT block checked against its method's schema, unknown keys refused. */
function peftIssues(peft: Record<string, unknown>, at: (string | number)[]): ConfigIssue[] {
  let method;
  try {
    method = peftMethodForType(peft.peft_type);
  } catch (err) {
    return [{ path: [...at, 'peft_type'], message: (err as Error).message }];
  }
  const r = method.configSchema.strict().safeParse(peft, { reportInput: true });
  return r.success ? [] : toConfigIssues(r.error.issues, at);
}

/** Read, parse and validate an LM experiment file. */
export async function loadLmExperiment(file: string): Promise<LmExperiment> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read LM experiment config ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return validateLmExperiment(parseExperimentYaml(text, file), {
    file,
    baseDir: dirname(resolve(file)),
  });
}
