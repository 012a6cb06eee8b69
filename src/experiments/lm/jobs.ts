/**
 * One job of an LM transfer experiment: build the target model for a method (fresh, the whole
 * pretrained model, a frozen body with a new head, or a frozen body with a PEFT method), train it
 * on one seed's target budget with the Trainer, and evaluate it on the shared held-out set along
 * the way. Frozen weights are fingerprinted before and compared bitwise after training, so a
 * method that claims to leave the base alone is checked to do so on every run.
 */
import { Generator } from '../../core/rng.js';
import type { Tensor } from '../../core/index.js';
import { groupTexts, tokenizeCorpus } from '../../data/index.js';
import {
  BertForMaskedLM,
  GPT2ForQuestionAnswering,
  GPT2ForSequenceClassification,
  GPT2LMHeadModel,
  type GPT2ConfigInput,
  type PreTrainedModel,
} from '../../models/index.js';
import type { Module } from '../../nn/index.js';
import { getPeftModel } from '../../peft/index.js';
import type { PreTrainedTokenizer } from '../../text/index.js';
import {
  causalLmCollator,
  type CausalLmExample,
  classificationMetrics,
  lmExamples,
  predictionLoop,
  sequenceClassificationCollator,
  Trainer,
  type DataCollator,
  type ComputeMetrics,
  type TrainableModel,
  type TrainerCallback,
} from '../../train/index.js';
import { ValueError } from '../../core/errors.js';
import type { TextItem } from './data.js';
import { madxModel, type LanguageAdapterSet } from './madx.js';
import { qaModel } from './qa.js';
import type { LmExperiment, LmMethod } from './schema.js';

/**
 * Positions the models have: the longest target sequence plus the most virtual tokens a prompt
 * method prepends (absolute positions: the prompt shifts the text right). Pretraining blocks are
 * this long, so no position a target method uses is left untrained.
 */
export function positionsOf(exp: LmExperiment): number {
  const virtual = exp.methods.map((m) =>
    m.kind === 'peft' && typeof m.peft.num_virtual_tokens === 'number'
      ? m.peft.num_virtual_tokens
      : 0,
  );
  const longest = exp.target.task === 'causal-lm' ? exp.model.blockSize : exp.target.maxLength;
  return longest + Math.max(0, ...virtual);
}

/** The GPT-2 config of every model of a run (source and targets share the architecture). */
export function modelConfig(exp: LmExperiment, tok: PreTrainedTokenizer): Partial<GPT2ConfigInput> {
  const m = exp.model;
  const eos = tok.eosTokenId;
  return {
    vocab_size: tok.vocabSize,
    n_positions: positionsOf(exp),
    n_embd: m.dModel,
    n_layer: m.layers,
    n_head: m.heads,
    resid_pdrop: m.dropout,
    embd_pdrop: m.dropout,
    attn_pdrop: m.dropout,
    bos_token_id: eos,
    eos_token_id: eos,
  };
}

/** Causal-LM examples: documents (eos-separated) cut into blocks of blockSize tokens. */
export function lmDataset(
  tok: PreTrainedTokenizer,
  items: readonly TextItem[],
  blockSize: number,
  what: string,
): { examples: CausalLmExample[]; tokens: number } {
  const docs = tokenizeCorpus(
    tok,
    items.map((t) => t.text),
  );
  const blocks = groupTexts(docs, blockSize);
  if (blocks.length === 0) {
    throw new ValueError(
      `${what}: ${items.length} texts give fewer than blockSize ${blockSize} tokens; use more texts or a smaller model.blockSize`,
    );
  }
  return { examples: lmExamples(blocks), tokens: blocks.length * blockSize };
}

/** Classification examples: token ids cut to maxLength, the label as its index in `labels`. */
export function classificationDataset(
  tok: PreTrainedTokenizer,
  items: readonly TextItem[],
  labels: readonly string[],
  maxLength: number,
): { inputIds: number[]; label: number }[] {
  return items.map((t) => {
    const ids = tok.encode(t.text).ids.slice(0, maxLength);
    const label = labels.indexOf(t.label!);
    if (label < 0) throw new ValueError(`classificationDataset: unknown label '${t.label}'`);
    return { inputIds: ids.length > 0 ? ids : [tok.eosTokenId!], label };
  });
}

export interface JobModel {
  model: TrainableModel;
  trainable: number;
  total: number;
  /** Parameters that must not change (the frozen pretrained body), by name. */
  frozen: [string, Tensor][];
  /** Cross-lingual runs: make later evaluations run in the training language (MAD-X swaps). */
  evaluateInTrainingLanguage?: () => void;
}

/** The target model of a method: see the file comment. `pretrained` is never modified. */
export function buildJobModel(
  exp: LmExperiment,
  method: LmMethod,
  pretrained: PreTrainedModel,
  tok: PreTrainedTokenizer,
  seed: number,
  numLabels: number,
  languageAdapters?: LanguageAdapterSet,
): JobModel {
  const rng = new Generator(seed);
  let base: PreTrainedModel;
  if (exp.target.task === 'question-answering' && exp.model.family === 'bert') {
    const source = method.kind === 'scratch' ? null : (pretrained as BertForMaskedLM);
    base = qaModel(exp, tok, positionsOf(exp), source, rng);
  } else if (exp.target.task === 'question-answering') {
    base = new GPT2ForQuestionAnswering(modelConfig(exp, tok), { rng });
    if (method.kind !== 'scratch') loadBody(base, pretrained, 'qa_outputs.');
  } else if (exp.target.task === 'causal-lm') {
    const config = modelConfig(exp, tok);
    base = new GPT2LMHeadModel(config, { rng });
    if (method.kind !== 'scratch') base.loadStateDict(pretrained.stateDict());
  } else {
    base = new GPT2ForSequenceClassification(
      { ...modelConfig(exp, tok), num_labels: numLabels, pad_token_id: tok.eosTokenId },
      { rng },
    );
    if (method.kind !== 'scratch') loadBody(base, pretrained, 'score.');
  }
  let model: Module = base;
  let evaluateInTrainingLanguage: (() => void) | undefined;
  if (method.kind === 'madx') {
    if (!languageAdapters)
      throw new ValueError(`buildJobModel: '${method.name}' needs language adapters`);
    const stack = madxModel(base, method, languageAdapters, seed);
    evaluateInTrainingLanguage = () => stack.evaluateIn(languageAdapters.languages[0]);
    model = stack;
  } else if (method.kind === 'head') {
    base.freeze();
    (base as GPT2ForSequenceClassification).score.unfreeze();
  } else if (method.kind === 'peft') {
    const taskType = {
      'causal-lm': 'CAUSAL_LM',
      classification: 'SEQ_CLS',
      'question-answering': 'QUESTION_ANS',
    }[exp.target.task];
    model = getPeftModel(
      base,
      { ...method.peft, peft_type: String(method.peft.peft_type), task_type: taskType },
      {
        rng: new Generator(seed + 7919),
        onWarning: () => undefined,
      },
    );
  }
  model.train();
  const frozen = model
    .namedParameters()
    .filter(([, p]) => !p.requiresGrad)
    .map(([n, p]): [string, Tensor] => [n, p]);
  return {
    model: model as TrainableModel,
    trainable: model.numParameters({ trainableOnly: true }),
    total: model.numParameters(),
    frozen,
    ...(evaluateInTrainingLanguage ? { evaluateInTrainingLanguage } : {}),
  };
}

/** The pretrained GPT-2 body into a task model: only the new head (`head` prefix) is missing. */
function loadBody(base: PreTrainedModel, pretrained: PreTrainedModel, head: string): void {
  const r = base.loadStateDict(pretrained.stateDict(), { strict: false });
  const missing = r.missingKeys.filter((k) => !k.startsWith(head));
  if (missing.length > 0) {
    throw new ValueError(`buildJobModel: pretrained weights lack ${missing.join(', ')}`);
  }
}

/** A copy of the frozen parameters' values, to compare after training. */
export function snapshot(frozen: readonly [string, Tensor][]): Map<string, Float32Array> {
  return new Map(frozen.map(([n, p]) => [n, Float32Array.from(p.data as ArrayLike<number>)]));
}

/** Names of frozen parameters whose bits changed since the snapshot. */
export function changedParameters(
  frozen: readonly [string, Tensor][],
  before: ReadonlyMap<string, Float32Array>,
): string[] {
  const changed: string[] = [];
  for (const [n, p] of frozen) {
    const a = before.get(n)!;
    const b = p.data as ArrayLike<number>;
    const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
    const ub = Float32Array.from(b);
    const vb = new Uint32Array(ub.buffer);
    if (ua.length !== vb.length || ua.some((x, i) => x !== vb[i])) changed.push(n);
  }
  return changed;
}

export interface EvalPoint {
  step: number;
  metrics: Record<string, number>;
}

export interface TrainJobOptions {
  exp: LmExperiment;
  job: JobModel;
  train: unknown[];
  evalSet: unknown[];
  padId: number;
  lr: number;
  seed: number;
  outputDir: string;
  onEval?: (p: EvalPoint) => void;
  /** Question answering: the collator of the features and SQuAD EM/F1 of the eval set (qa.ts). */
  qa?: { collator: DataCollator<unknown>; computeMetrics: ComputeMetrics };
  /**
   * Cross-lingual runs: the held-out items in the training language, scored once after training
   * into `reference_<metric>` of the last curve point (evalSet holds their translations).
   */
  reference?: unknown[];
  /**
   * The seed's validation split, scored once after the last step (the LR search picks on it);
   * QA passes the SQuAD metrics of its own items.
   */
  validation?: { dataset: unknown[]; computeMetrics?: ComputeMetrics };
  /** Receives the validation metrics. */
  onValidation?: (metrics: Record<string, number>) => void;
}

/** The metric keys of a task (the first is the headline). */
export function taskMetrics(task: LmExperiment['target']['task']): string[] {
  if (task === 'question-answering') return ['f1', 'exact_match', 'loss'];
  return task === 'causal-lm' ? ['perplexity', 'loss'] : ['accuracy', 'macro_f1', 'loss'];
}

function pick(
  task: LmExperiment['target']['task'],
  m: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = { loss: m.eval_loss! };
  if (task === 'causal-lm') out.perplexity = Math.exp(m.eval_loss!);
  else if (task === 'question-answering')
    Object.assign(out, { f1: m.eval_f1!, exact_match: m.eval_exact_match! });
  else Object.assign(out, { accuracy: m.eval_accuracy!, macro_f1: m.eval_macro_f1! });
  return out;
}

/** Train one job; returns the evaluation curve (step 0 first, the last step last). */
export async function trainJob(o: TrainJobOptions): Promise<EvalPoint[]> {
  const { exp } = o;
  const t = exp.target;
  const cls = t.task === 'classification';
  // Classification and QA gather the logits for their metrics; the LM scores its loss alone.
  const gather = t.task !== 'causal-lm';
  const curve: EvalPoint[] = [];
  const record = (step: number, m: Record<string, number>): void => {
    const p = { step, metrics: pick(t.task, m) };
    curve.push(p);
    o.onEval?.(p);
  };
  const collect: TrainerCallback = {
    name: 'lm-transfer-curve',
    onEvaluate: (_args, state, _control, metrics) => record(state.globalStep, metrics),
  };
  const collator =
    o.qa?.collator ??
    ((cls
      ? sequenceClassificationCollator({ padTokenId: o.padId })
      : causalLmCollator({ padTokenId: o.padId })) as DataCollator<unknown>);
  const computeMetrics = o.qa?.computeMetrics ?? (cls ? classificationMetrics : undefined);
  const trainer = new Trainer<unknown>({
    model: o.job.model,
    args: {
      outputDir: o.outputDir,
      maxSteps: t.steps,
      perDeviceTrainBatchSize: t.batchSize,
      perDeviceEvalBatchSize: 32,
      learningRate: o.lr,
      warmupSteps: t.warmupSteps,
      evalStrategy: 'steps',
      evalSteps: t.evalEvery,
      loggingSteps: t.evalEvery,
      saveStrategy: 'no',
      seed: o.seed,
      predictionLossOnly: !gather,
      disableProgressBar: true,
    },
    trainDataset: o.train,
    evalDataset: o.evalSet,
    dataCollator: collator,
    callbacks: [collect],
    ...(computeMetrics ? { computeMetrics } : {}),
  });
  record(0, trainer.predict(o.evalSet, { metricKeyPrefix: 'eval', gather }).metrics);
  await trainer.train();
  if (curve.at(-1)!.step !== t.steps) await trainer.evaluate();
  if (o.reference) {
    o.job.evaluateInTrainingLanguage?.();
    const m = pick(
      t.task,
      trainer.predict(o.reference, { metricKeyPrefix: 'eval', gather }).metrics,
    );
    const last = curve.at(-1)!.metrics;
    for (const [k, v] of Object.entries(m)) last[`reference_${k}`] = v;
  }
  if (o.validation !== undefined) {
    const v = o.validation.computeMetrics ?? computeMetrics;
    const { metrics } = predictionLoop({
      model: o.job.model,
      dataset: o.validation.dataset,
      collator,
      batchSize: 32,
      labelNames: trainer.args.labelNames,
      gather,
      prefix: 'eval',
      ...(v ? { computeMetrics: v } : {}),
    });
    o.onValidation?.(pick(t.task, metrics));
  }
  return curve;
}
