import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFloat32, loadSafetensorsSync, noGrad, Tensor } from '../../src/core/index.js';
import {
  AutoModelForCausalLM,
  AutoModelForQuestionAnswering,
  AutoModelForSequenceClassification,
  type PreTrainedModel,
} from '../../src/models/index.js';

/**
 * The fixtures written by the real transformers / peft / tokenizers
 * (scripts/golden/make_hf_real_fixtures.py): four base models, seventeen PEFT adapters, and the
 * logits those libraries computed.
 */

export const HF_REAL = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'hf-real',
);

interface IdsJson {
  shape: number[];
  data: number[];
}

export interface HfRealExpected {
  versions: Record<string, string>;
  texts: string[];
  qa_pairs: [string, string][];
  models: Record<
    string,
    { architecture: string; input_ids: IdsJson; attention_mask: IdsJson; token_type_ids?: IdsJson }
  >;
  /** Several adapters saved together by one save_pretrained. */
  multi: Record<string, { model: string; adapter_names: string[] }>;
  adapters: Record<
    string,
    {
      model: string;
      peft_type: string;
      peft_merged_max_abs_diff?: number;
      /** peft 0.21's PeftModelForQuestionAnswering.forward ignores token_type_ids. */
      peft_forward_drops_token_type_ids?: boolean;
    }
  >;
}

export const expected = JSON.parse(
  readFileSync(join(HF_REAL, 'expected.json'), 'utf8'),
) as HfRealExpected;

const logitsFile = loadSafetensorsSync(join(HF_REAL, 'expected.safetensors'));

/** The logits the real libraries computed: `<model>` or `adapters/<name>`. */
export function expectedLogits(key: string): { shape: number[]; data: Float32Array } {
  const entry = logitsFile.tensors.get(key);
  if (!entry) throw new Error(`expected.safetensors has no '${key}'`);
  return { shape: [...entry.shape], data: decodeFloat32(entry) };
}

export function modelInputs(model: string): {
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds?: Tensor;
} {
  const m = expected.models[model];
  const t = (j: IdsJson): Tensor => new Tensor(Int32Array.from(j.data), j.shape);
  const inputs = { inputIds: t(m.input_ids), attentionMask: t(m.attention_mask) };
  return m.token_type_ids ? { ...inputs, tokenTypeIds: t(m.token_type_ids) } : inputs;
}

/** A fixture model (or, with dir, a directory holding the same architecture). */
export function loadBase(
  model: string,
  onWarning?: (m: string) => void,
  dir = join(HF_REAL, model),
): Promise<PreTrainedModel> {
  const arch = expected.models[model].architecture;
  const auto = arch.endsWith('ForSequenceClassification')
    ? AutoModelForSequenceClassification
    : arch.endsWith('ForQuestionAnswering')
      ? AutoModelForQuestionAnswering
      : AutoModelForCausalLM;
  return auto.fromPretrained(dir, { onWarning });
}

/** Safetensors key -> shape. */
export function tensorShapes(path: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, e] of loadSafetensorsSync(path).tensors) out[k] = [...e.shape];
  return out;
}

export function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The logits of a forward pass (question answering: start and end side by side, [B, T, 2]). */
export function forwardLogits(model: object, name: string): Tensor {
  const m = model as { forward(i: object): { logits: Tensor } };
  return noGrad(() => m.forward(modelInputs(name))).logits;
}

/** Float32 tolerance: |a - b| <= 1e-4 + 1e-4 |b| everywhere (returns the worst ratio, <= 1 passes). */
export function worstScaledError(actual: ArrayLike<number>, want: ArrayLike<number>): number {
  if (actual.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(actual[i] - want[i]) / (1e-4 + 1e-4 * Math.abs(want[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}
