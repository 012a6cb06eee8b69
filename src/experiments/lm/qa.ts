/**
 * Extractive question answering in an LM transfer experiment, and BERT's masked-LM pretraining on
 * the source texts (model.family 'bert'; a gpt2 pretrains as a causal LM and answers with
 * GPT2ForQuestionAnswering, built in jobs.ts), scored by the official SQuAD
 * exact match and F1 through the same preprocessing (run_qa.py's windows) and n-best
 * post-processing that serve real SQuAD files (src/data/squad, src/train/tasks).
 */
import { Generator, ValueError } from '../../core/index.js';
import { groupTexts, prepareQaFeatures, tokenizeCorpus, type QaFeature } from '../../data/index.js';
import {
  BertForMaskedLM,
  BertForQuestionAnswering,
  type BertConfigInput,
} from '../../models/index.js';
import type { PreTrainedTokenizer } from '../../text/index.js';
import {
  maskedLmCollator,
  qaCollator,
  qaComputeMetrics,
  type CausalLmExample,
  type ComputeMetrics,
  type DataCollator,
} from '../../train/index.js';
import type { TextItem } from './data.js';
import type { LmExperiment } from './schema.js';

function special(tok: PreTrainedTokenizer, what: 'cls' | 'sep' | 'mask' | 'pad'): number {
  const id = {
    cls: tok.clsTokenId,
    sep: tok.sepTokenId,
    mask: tok.maskTokenId,
    pad: tok.padTokenId,
  }[what];
  if (id === null) throw new ValueError(`bert experiment: the tokenizer has no [${what}] token`);
  return id;
}

/** The BERT config of every model of a run (feed-forward 4 x dModel, as BERT's). */
export function bertConfig(
  exp: LmExperiment,
  tok: PreTrainedTokenizer,
  positions: number,
): Partial<BertConfigInput> {
  const m = exp.model;
  return {
    vocab_size: tok.vocabSize,
    hidden_size: m.dModel,
    num_hidden_layers: m.layers,
    num_attention_heads: m.heads,
    intermediate_size: 4 * m.dModel,
    max_position_embeddings: positions,
    hidden_dropout_prob: m.dropout,
    attention_probs_dropout_prob: m.dropout,
    pad_token_id: special(tok, 'pad'),
  };
}

/** Source texts as [CLS] block [SEP] examples of `positions` tokens (documents joined by [SEP]). */
export function mlmDataset(
  tok: PreTrainedTokenizer,
  items: readonly TextItem[],
  positions: number,
): { examples: CausalLmExample[]; tokens: number } {
  const cls = special(tok, 'cls');
  const sep = special(tok, 'sep');
  const docs = tokenizeCorpus(
    tok,
    items.map((t) => t.text),
    { appendEos: false },
  ).map((ids) => [...ids, sep]);
  const blocks = groupTexts(docs, positions - 2);
  if (blocks.length === 0)
    throw new ValueError(
      `pretraining set: ${items.length} texts give fewer than ${positions - 2} tokens`,
    );
  const examples = blocks.map((b) => ({ inputIds: Int32Array.from([cls, ...b, sep]) }));
  return { examples, tokens: examples.length * positions };
}

/** BERT's masking, drawn from the pretraining seed. */
export function mlmCollator(
  exp: LmExperiment,
  tok: PreTrainedTokenizer,
): DataCollator<CausalLmExample> {
  return maskedLmCollator({
    maskTokenId: special(tok, 'mask'),
    vocabSize: tok.vocabSize,
    padTokenId: special(tok, 'pad'),
    specialTokenIds: [special(tok, 'cls'), special(tok, 'sep'), special(tok, 'pad')],
    mlmProbability: exp.pretrain.mlmProbability,
    rng: new Generator(exp.pretrain.seed + 104_729),
  });
}

/** A fresh masked-LM model (the source model). */
export function newMaskedLm(
  exp: LmExperiment,
  tok: PreTrainedTokenizer,
  positions: number,
  seed: number,
): BertForMaskedLM {
  return new BertForMaskedLM(bertConfig(exp, tok, positions), { rng: new Generator(seed) });
}

/** QA features of items: windows of target.maxLength tokens, target.docStride apart. */
export function qaDataset(
  tok: PreTrainedTokenizer,
  items: readonly TextItem[],
  exp: LmExperiment,
): QaFeature[] {
  const examples = items.map((t) => t.qa!);
  return prepareQaFeatures(tok, examples, {
    maxLength: exp.target.maxLength,
    docStride: exp.target.docStride,
  });
}

export function qaDataCollator(tok: PreTrainedTokenizer): DataCollator<unknown> {
  // GPT-2's byte-level BPE has no padding token: it pads with eos, as its LM does.
  const pad = tok.padTokenId ?? tok.eosTokenId ?? special(tok, 'pad');
  return qaCollator({ padTokenId: pad }) as DataCollator<unknown>;
}

/** SQuAD EM and F1 of the eval items from the Trainer's gathered logits. */
export function qaMetrics(
  items: readonly TextItem[],
  features: readonly QaFeature[],
): ComputeMetrics {
  return qaComputeMetrics(
    items.map((t) => t.qa!),
    [...features],
  );
}

/** The QA model of a job: fresh (scratch) or the pretrained body with a new span head. */
export function qaModel(
  exp: LmExperiment,
  tok: PreTrainedTokenizer,
  positions: number,
  pretrained: BertForMaskedLM | null,
  rng: Generator,
): BertForQuestionAnswering {
  const model = new BertForQuestionAnswering(bertConfig(exp, tok, positions), { rng });
  if (pretrained === null) return model;
  const r = model.loadStateDict(pretrained.stateDict(), { strict: false });
  const missing = r.missingKeys.filter((k) => !k.startsWith('qa_outputs.'));
  if (missing.length > 0)
    throw new ValueError(`qaModel: the pretrained weights lack ${missing.join(', ')}`);
  return model;
}
