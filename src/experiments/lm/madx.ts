/**
 * MAD-X (Pfeiffer et al. 2020) in an LM transfer run. After pretraining, one language adapter per
 * language of the cross-lingual corpus is trained by causal-LM loss on that language's text, the
 * pretrained model frozen, and saved in AdapterHub's layout under runs/<id>/language-adapters/.
 * A 'madx' method then stacks a new task adapter on the training language's adapter
 * (Stack(en, task)), trains the task adapter and head on the labelled training language, and is
 * evaluated zero-shot with the other language's adapter swapped in under the same task adapter
 * (Stack(es, task)).
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Generator } from '../../core/rng.js';
import { ValueError, type Tensor } from '../../core/index.js';
import { GPT2LMHeadModel, type PreTrainedModel } from '../../models/index.js';
import { Module } from '../../nn/index.js';
import {
  getPeftModel,
  PeftModel,
  type PeftConfigInput,
  type PeftInputs,
} from '../../peft/index.js';
import type { PreTrainedTokenizer } from '../../text/index.js';
import { causalLmCollator, Trainer, type DataCollator } from '../../train/index.js';
import type { MetricsLog } from '../run-dir.js';
import type { LmSplit } from './data.js';
import { changedParameters, lmDataset, modelConfig, positionsOf, snapshot } from './jobs.js';
import type { LmExperiment, LmMethod } from './schema.js';

const quiet = { onWarning: () => undefined };

/** The trained language adapters of a run, in memory. */
export interface LanguageAdapterSet {
  /** Training language first, then the zero-shot evaluation language. */
  languages: [string, string];
  /** Their bottleneck config (PEFT field names). */
  config: PeftConfigInput;
  /** The adapter tensors of all languages by in-memory key (`...adapters.<lang>...`). */
  weights: Map<string, Tensor>;
}

/** Train (or, on resume, load) the run's language adapters. */
export async function languageAdaptersFor(
  dir: string,
  exp: LmExperiment,
  split: LmSplit,
  tok: PreTrainedTokenizer,
  pretrained: PreTrainedModel,
  metrics: MetricsLog,
  log: (s: string) => void,
): Promise<LanguageAdapterSet> {
  const la = exp.languageAdapters!;
  const cl = split.crossLingual;
  if (!cl) throw new ValueError('languageAdapters: the corpus is not cross-lingual');
  const root = join(dir, 'language-adapters');
  const config = { ...la.peft, peft_type: 'BOTTLENECK', task_type: 'CAUSAL_LM' };
  const weights = new Map<string, Tensor>();
  for (const [i, lang] of cl.languages.entries()) {
    const base = new GPT2LMHeadModel(modelConfig(exp, tok), { skipInit: true });
    base.loadStateDict(pretrained.stateDict());
    const saved = join(root, lang);
    let peft: PeftModel;
    if (fs.existsSync(join(saved, 'adapter.safetensors'))) {
      peft = await PeftModel.fromPretrained(base, saved, { ...quiet, adapterName: lang });
    } else {
      peft = getPeftModel(base, config, {
        ...quiet,
        adapterName: lang,
        rng: new Generator(exp.pretrain.seed + 101 + i),
      });
      await trainLanguageAdapter(dir, exp, peft, lang, cl, split, tok, metrics, log);
      await peft.savePretrained(root);
    }
    for (const [k, p] of peft.namedParameters())
      if (k.includes(`adapters.${lang}.`)) weights.set(k, p);
  }
  return { languages: cl.languages, config, weights };
}

async function trainLanguageAdapter(
  dir: string,
  exp: LmExperiment,
  peft: PeftModel,
  lang: string,
  cl: NonNullable<LmSplit['crossLingual']>,
  split: LmSplit,
  tok: PreTrainedTokenizer,
  metrics: MetricsLog,
  log: (s: string) => void,
): Promise<void> {
  const la = exp.languageAdapters!;
  const positions = positionsOf(exp);
  const data = lmDataset(tok, cl.languageTexts[lang]!, positions, `${lang} language adapter text`);
  // The held-out verses in this language: the perplexity the adapter is meant to lower.
  const heldOut = lmDataset(
    tok,
    lang === cl.languages[0] ? cl.reference : split.evalSet,
    positions,
    `${lang} held-out text`,
  ).examples;
  const frozen = peft
    .namedParameters()
    .filter(([, p]) => !p.requiresGrad)
    .map(([n, p]): [string, Tensor] => [n, p]);
  const before = snapshot(frozen);
  const start = performance.now();
  const trainer = new Trainer<unknown>({
    model: peft as never,
    args: {
      outputDir: join(dir, 'language-adapters-log', lang),
      maxSteps: la.steps,
      perDeviceTrainBatchSize: la.batchSize,
      perDeviceEvalBatchSize: 32,
      learningRate: la.lr,
      warmupSteps: la.warmupSteps,
      loggingSteps: Math.max(1, Math.floor(la.steps / 10)),
      saveStrategy: 'no',
      seed: exp.pretrain.seed,
      predictionLossOnly: true,
      disableProgressBar: true,
    },
    trainDataset: data.examples,
    dataCollator: causalLmCollator({ padTokenId: tok.eosTokenId }) as DataCollator<unknown>,
  });
  const perplexity = (): number =>
    Math.exp(
      trainer.predict(heldOut, { metricKeyPrefix: 'eval', gather: false }).metrics.eval_loss!,
    );
  const initial = perplexity();
  await trainer.train();
  const final = perplexity();
  const changed = changedParameters(frozen, before);
  if (changed.length > 0)
    throw new ValueError(`${lang} language adapter: frozen weights changed: ${changed.join(', ')}`);
  metrics.append({
    type: 'language-adapter',
    language: lang,
    steps: la.steps,
    tokens: data.tokens,
    heldOutPerplexity: { before: initial, after: final },
    seconds: (performance.now() - start) / 1000,
  });
  log(
    `${lang} language adapter: ${la.steps} steps on ${cl.languageTexts[lang]!.length} texts; held-out ${lang} perplexity ${initial.toFixed(1)} -> ${final.toFixed(1)} (${((performance.now() - start) / 1000).toFixed(0)} s)\n`,
  );
}

/**
 * A MAD-X model for zero-shot transfer: trains through Stack(train language, task) and evaluates
 * through Stack(evaluation language, task), switching with train() / eval() as the Trainer calls
 * them; `evaluateIn` picks the language of later evaluations (the training one for a reference).
 */
export class ZeroShotStack extends Module {
  peft: PeftModel;
  readonly #languages: [string, string];
  #evalLanguage: string;

  constructor(peft: PeftModel, languages: [string, string]) {
    super();
    this.peft = peft;
    this.#languages = languages;
    this.#evalLanguage = languages[1];
    this.train(this.training);
  }

  evaluateIn(lang: string): void {
    if (!this.#languages.includes(lang))
      throw new ValueError(
        `ZeroShotStack.evaluateIn: no '${lang}' adapter (${this.#languages.join(', ')})`,
      );
    this.#evalLanguage = lang;
    if (!this.training) this.train(false);
  }

  override train(mode = true): this {
    super.train(mode);
    // Module's constructor may call train() before the fields exist.
    if (this.peft as PeftModel | undefined)
      this.peft.setAdapterStack([mode ? this.#languages[0] : this.#evalLanguage, 'task'], 'task');
    return this;
  }

  forward(inputs: PeftInputs): ReturnType<PeftModel['forward']> {
    return this.peft.forward(inputs);
  }
}

/** The 'madx' method's model on a fresh target model holding the pretrained weights. */
export function madxModel(
  base: PreTrainedModel,
  method: Extract<LmMethod, { kind: 'madx' }>,
  set: LanguageAdapterSet,
  seed: number,
): ZeroShotStack {
  const [src, tgt] = set.languages;
  const peft = getPeftModel(base, set.config, {
    ...quiet,
    adapterName: src,
    rng: new Generator(seed + 7919),
  });
  peft.addAdapter(tgt, set.config);
  const r = peft.loadStateDict(set.weights, { strict: false });
  const missing = r.missingKeys.filter(
    (k) => k.includes(`adapters.${src}.`) || k.includes(`adapters.${tgt}.`),
  );
  if (r.unexpectedKeys.length > 0 || missing.length > 0) {
    throw new ValueError(
      `madx: language adapter weights do not fit the target model (unexpected: ${r.unexpectedKeys.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'})`,
    );
  }
  peft.addAdapter('task', { ...method.peft, peft_type: 'BOTTLENECK', task_type: 'SEQ_CLS' });
  return new ZeroShotStack(peft, set.languages);
}
