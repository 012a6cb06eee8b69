/**
 * The base every job of an LM run starts from: the tokenizer trained on source and target texts,
 * and the model pretrained on the source (a GPT-2 as a causal LM, a BERT by masked LM). Both are
 * saved in the run folder and loaded from there when present, so a resumed run, or a run given
 * another run's base with `--pretrained`, trains neither again.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Generator } from '../../core/rng.js';
import { BertForMaskedLM, GPT2LMHeadModel, type PreTrainedModel } from '../../models/index.js';
import { PreTrainedTokenizer, trainTokenizer } from '../../text/index.js';
import { causalLmCollator, Trainer, type DataCollator } from '../../train/index.js';
import type { MetricsLog } from '../run-dir.js';
import type { LmSplit } from './data.js';
import { lmDataset, modelConfig, positionsOf } from './jobs.js';
import { mlmCollator, mlmDataset, newMaskedLm } from './qa.js';
import type { LmExperiment } from './schema.js';

/** The run's tokenizer: `<dir>/tokenizer/`, trained and saved there the first time. */
export async function tokenizerFor(
  dir: string,
  exp: LmExperiment,
  split: LmSplit,
  log: (s: string) => void,
): Promise<PreTrainedTokenizer> {
  const tdir = join(dir, 'tokenizer');
  if (fs.existsSync(join(tdir, 'tokenizer.json'))) return PreTrainedTokenizer.fromPretrained(tdir);
  // Half source, half target pool, spread over each (the KJV file is in canonical order); a
  // cross-lingual corpus shares the texts between its languages instead.
  const groups = split.crossLingual
    ? Object.values(split.crossLingual.languageTexts)
    : [split.source, split.pool];
  const half = Math.floor(exp.tokenizer.maxTexts / groups.length);
  const spread = (xs: readonly { text: string }[]): string[] => {
    const step = Math.max(1, xs.length / half);
    const out: string[] = [];
    for (let i = 0; i < xs.length && out.length < half; i += step)
      out.push(xs[Math.floor(i)]!.text);
    return out;
  };
  const texts = groups.flatMap(spread);
  const kind = exp.model.family === 'bert' ? 'wordpiece' : 'byte-level-bpe';
  log(`tokenizer: ${kind}, vocabulary ${exp.tokenizer.vocabSize}, ${texts.length} texts\n`);
  const tok = PreTrainedTokenizer.fromTokenizer(
    trainTokenizer(texts, { kind, vocabSize: exp.tokenizer.vocabSize }),
  );
  await tok.savePretrained(tdir);
  return tok;
}

/** The run's pretrained model: `<dir>/pretrained/`, pretrained and saved there the first time. */
export async function pretrainedFor(
  dir: string,
  exp: LmExperiment,
  split: LmSplit,
  tok: PreTrainedTokenizer,
  metrics: MetricsLog,
  log: (s: string) => void,
): Promise<PreTrainedModel> {
  const pdir = join(dir, 'pretrained');
  const bert = exp.model.family === 'bert';
  if (fs.existsSync(join(pdir, 'config.json')))
    return bert ? BertForMaskedLM.fromPretrained(pdir) : GPT2LMHeadModel.fromPretrained(pdir);
  const p = exp.pretrain;
  const positions = positionsOf(exp);
  const data = bert
    ? mlmDataset(tok, split.source, positions)
    : lmDataset(tok, split.source, positions, 'pretraining set');
  log(
    `pretraining${bert ? ' (masked LM)' : ''}: ${split.source.length} source texts, ${data.tokens} tokens, ${p.steps} steps\n`,
  );
  const model = bert
    ? newMaskedLm(exp, tok, positions, p.seed)
    : new GPT2LMHeadModel(modelConfig(exp, tok), { rng: new Generator(p.seed) });
  const start = performance.now();
  const trainer = new Trainer<unknown>({
    model,
    args: {
      outputDir: join(dir, 'pretrain-log'),
      maxSteps: p.steps,
      perDeviceTrainBatchSize: p.batchSize,
      learningRate: p.lr,
      warmupSteps: p.warmupSteps,
      loggingSteps: Math.max(1, Math.floor(p.steps / 20)),
      saveStrategy: 'no',
      seed: p.seed,
      disableProgressBar: true,
    },
    trainDataset: data.examples,
    dataCollator: (bert
      ? mlmCollator(exp, tok)
      : causalLmCollator({ padTokenId: tok.eosTokenId })) as DataCollator<unknown>,
    callbacks: [
      {
        name: 'pretrain-progress',
        onLog: (_a, state, _c, logs) => {
          if (typeof logs.loss !== 'number') return;
          metrics.append({ type: 'pretrain', step: state.globalStep, loss: logs.loss });
          const s = ((performance.now() - start) / 1000).toFixed(0);
          log(
            `pretrain step ${state.globalStep}/${p.steps} loss ${logs.loss.toFixed(3)} (${s} s)\n`,
          );
        },
      },
    ],
  });
  await trainer.train();
  model.eval();
  await model.savePretrained(pdir);
  return model;
}
