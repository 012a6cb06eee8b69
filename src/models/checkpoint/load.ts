import {
  CheckpointError,
  ConfigError,
  decodeFloat32,
  decodeFloat64,
  formatShape,
  Generator,
  Tensor,
  type SafeTensorEntry,
} from '../../core/index.js';
import { LoadStateDictError } from '../../nn/index.js';
import { defaultWarningHandler, type WarningHandler } from '../common/config.js';
import type { PreTrainedModel, PreTrainedModelClass } from '../common/pretrained.js';
import { readCheckpointTensors, readConfigJson } from './files.js';

export interface FromPretrainedOptions {
  /**
   * Draws weights the checkpoint lacks (a new classification head) and later dropout masks;
   * default Generator(0), so loading twice gives the same model.
   */
  rng?: Generator;
  /** Missing or unexpected weights are errors instead of warnings (default false). */
  strict?: boolean;
  /** Where warnings (unknown config keys, missing/unexpected weights) go. */
  onWarning?: WarningHandler;
}

export interface LoadingInfo {
  /** Model weights the checkpoint lacked (initialised from rng), tied aliases excluded. */
  missingKeys: string[];
  /** Checkpoint tensors the model has no place for (after prefix mapping). */
  unexpectedKeys: string[];
  /** Checkpoint tensors dropped on purpose (legacy buffers, unused heads). */
  ignoredKeys: string[];
  /** The safetensors files read. */
  files: string[];
}

/** Build `cls` from a Hugging Face directory; returns the model (in eval mode) and what happened. */
export async function loadPretrained<M extends PreTrainedModel>(
  cls: PreTrainedModelClass<M>,
  dir: string,
  options: FromPretrainedOptions = {},
): Promise<{ model: M; info: LoadingInfo }> {
  const raw = await readConfigJson(dir);
  const { modelType, architecture } = cls.spec;
  if (typeof raw.model_type === 'string' && raw.model_type !== modelType) {
    throw new ConfigError(
      `${dir}/config.json: model_type '${raw.model_type}' cannot be loaded into ${architecture} (model_type '${modelType}')`,
    );
  }
  const onWarning = options.onWarning ?? defaultWarningHandler;
  const rng = options.rng ?? new Generator(0);
  const model = new cls(
    { ...raw, model_type: modelType },
    { skipInit: true, rng, onWarning: (m) => onWarning(`${dir}/config.json: ${m}`) },
  );
  const { tensors, files } = await readCheckpointTensors(dir);
  const info = loadCheckpointInto(model, tensors, { ...options, rng, onWarning, source: dir });
  model.eval();
  return { model, info: { ...info, files } };
}

export interface LoadCheckpointOptions extends FromPretrainedOptions {
  /** Named in messages (a directory or file). */
  source?: string;
}

/**
 * Copy checkpoint tensors into a model by Hugging Face's rules: the base-model prefix is added or
 * stripped as needed (a `bert.`-prefixed checkpoint into BertModel, a prefix-less GPT-2 checkpoint
 * into GPT2LMHeadModel), legacy buffers are dropped, tied aliases are optional, F16/BF16/F64 are
 * decoded to the model's float dtype. Missing weights are drawn from rng (warned, or an error with
 * strict), unexpected ones are warned about (or an error). Shape mismatches always throw, and
 * nothing is copied unless the whole load succeeds.
 */
export function loadCheckpointInto(
  model: PreTrainedModel,
  checkpoint: ReadonlyMap<string, SafeTensorEntry>,
  options: LoadCheckpointOptions = {},
): Omit<LoadingInfo, 'files'> {
  const source = options.source ?? 'checkpoint';
  const onWarning = options.onWarning ?? defaultWarningHandler;
  const targets = model.stateDict({ share: true });
  const mapped = mapKeys(model, [...checkpoint.keys()], new Set(targets.keys()), source);
  const ignorePatterns = model.ignoredCheckpointKeys();
  const ignoredKeys: string[] = [];
  const chosen = new Map<string, string>(); // model key -> checkpoint key
  for (const [ckptKey, modelKey] of mapped) {
    if (!targets.has(modelKey) && ignorePatterns.some((re) => re.test(modelKey))) {
      ignoredKeys.push(ckptKey);
      continue;
    }
    chosen.set(modelKey, ckptKey);
  }
  const aliases = new Set<string>();
  for (const [alias, src] of model.tiedWeightKeys()) {
    aliases.add(alias);
    const aliasKey = chosen.get(alias);
    if (aliasKey === undefined) continue;
    // One tensor under two names: the source's value wins, as Hugging Face ties after loading.
    if (!chosen.has(src)) chosen.set(src, aliasKey);
    chosen.delete(alias);
  }
  const unexpectedKeys = [...chosen.entries()]
    .filter(([modelKey]) => !targets.has(modelKey))
    .map(([, ckptKey]) => ckptKey)
    .sort();
  const missingKeys = [...targets.keys()].filter((k) => !chosen.has(k) && !aliases.has(k));
  if (options.strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
    throw new CheckpointError(
      `${source}: weights do not match ${model.spec.architecture}:` +
        (missingKeys.length
          ? `\n  missing (${missingKeys.length}): ${missingKeys.join(', ')}`
          : '') +
        (unexpectedKeys.length
          ? `\n  unexpected (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`
          : ''),
    );
  }
  const stateDict = new Map<string, Tensor>();
  const problems: string[] = [];
  for (const [modelKey, ckptKey] of chosen) {
    const target = targets.get(modelKey);
    if (!target) continue;
    const entry = checkpoint.get(ckptKey)!;
    if (!['F32', 'F16', 'BF16', 'F64'].includes(entry.dtype)) {
      problems.push(`${ckptKey}: dtype ${entry.dtype} is not a float type`);
    } else if (
      entry.shape.length !== target.rank ||
      entry.shape.some((d, i) => d !== target.shape[i])
    ) {
      problems.push(
        `${ckptKey}: checkpoint shape ${formatShape(entry.shape)}, model ${modelKey} has ${formatShape(target.shape)}`,
      );
    } else {
      const data = target.dtype === 'float64' ? decodeFloat64(entry) : decodeFloat32(entry);
      stateDict.set(modelKey, new Tensor(data, entry.shape));
    }
  }
  if (problems.length > 0) {
    throw new CheckpointError(
      `${source}: cannot load into ${model.spec.architecture}:\n  ${problems.join('\n  ')}`,
    );
  }
  try {
    model.loadStateDict(stateDict, { strict: false });
  } catch (err) {
    if (err instanceof LoadStateDictError) {
      throw new CheckpointError(`${source}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (missingKeys.length > 0) {
    model.initWeights(options.rng ?? new Generator(0), new Set(missingKeys));
    onWarning(
      `${source}: ${model.spec.architecture} weights not in the checkpoint, newly initialised (train before use): ${missingKeys.join(', ')}`,
    );
  }
  if (unexpectedKeys.length > 0) {
    onWarning(
      `${source}: checkpoint weights not used by ${model.spec.architecture}: ${unexpectedKeys.join(', ')}`,
    );
  }
  return { missingKeys, unexpectedKeys, ignoredKeys: ignoredKeys.sort() };
}

/**
 * Checkpoint key -> model key. A head model (it has a `prefix.` submodule) reading a base-model
 * checkpoint gets the prefix added; a base model reading a head checkpoint gets it stripped (the
 * head's own keys then show up as unexpected).
 */
function mapKeys(
  model: PreTrainedModel,
  keys: string[],
  modelKeys: ReadonlySet<string>,
  source: string,
): [string, string][] {
  const prefix = `${model.spec.baseModelPrefix}.`;
  const modelHasPrefix = [...modelKeys].some((k) => k.startsWith(prefix));
  const ckptHasPrefix = keys.some((k) => k.startsWith(prefix));
  const out: [string, string][] = [];
  const seen = new Map<string, string>();
  for (const key of keys) {
    let target = legacyNormName(key);
    if (modelHasPrefix && !ckptHasPrefix && !modelKeys.has(target)) {
      target = prefix + target;
    } else if (!modelHasPrefix && ckptHasPrefix && target.startsWith(prefix)) {
      target = target.slice(prefix.length);
    }
    const previous = seen.get(target);
    if (previous !== undefined) {
      throw new CheckpointError(
        `${source}: checkpoint keys ${JSON.stringify(previous)} and ${JSON.stringify(key)} both map to ${JSON.stringify(target)}`,
      );
    }
    seen.set(target, key);
    out.push([key, target]);
  }
  return out;
}

/**
 * TensorFlow-era checkpoints (bert-base-uncased among them) name LayerNorm parameters gamma and
 * beta; Hugging Face renames them to weight and bias when loading, and so do we.
 */
function legacyNormName(key: string): string {
  return key.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
}
