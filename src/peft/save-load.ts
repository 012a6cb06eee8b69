import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import {
  CheckpointError,
  ConfigError,
  decodeFloat32,
  decodeFloat64,
  loadSafetensors,
  readSafetensorsHeader,
  saveSafetensors,
  writeFileAtomic,
  type SafeTensorEntry,
  type Tensor,
  type TensorToWrite,
} from '../core/index.js';
import { configJson } from './config.js';
import type { PeftModel } from './peft-model.js';
import { peftMethodForType, listPeftMethods, type PeftMethod } from './registry.js';
import { loadTorchBin } from './utils/torch-bin.js';

/**
 * Adapter directories. Hugging Face PEFT's layout: adapter_config.json (the config's fields,
 * inference_mode true, keys sorted) and adapter_model.safetensors whose keys are PEFT's in-memory
 * state-dict names with the adapter name removed (`base_model.model.<path>.lora_A.weight`,
 * `prompt_embeddings`), as get_peft_model_state_dict writes them. Adapters other than 'default'
 * go to a subdirectory named after them, as PEFT's save_pretrained does. Methods with their own
 * DirectoryFormat (AdapterHub's bottleneck adapters) plug in their names and keys.
 */

export const PEFT_CONFIG_NAME = 'adapter_config.json';
export const PEFT_WEIGHTS_NAME = 'adapter_model.safetensors';
/** PEFT's older weights file (torch.save), read when there is no safetensors file. */
const PEFT_PICKLE_NAME = 'adapter_model.bin';

/** PEFT's remove_adapter_name: `x.lora_A.default.weight` -> `x.lora_A.weight`, `x.ia3_l.default` -> `x.ia3_l`. */
export function removeAdapterName(key: string, name: string): string {
  if (!key.includes('.')) return key;
  const tail = `.${name}`;
  if (key.endsWith(tail)) return key.slice(0, -tail.length);
  const dot = key.lastIndexOf('.');
  let head = key.slice(0, dot);
  if (head.endsWith(tail)) head = head.slice(0, -tail.length);
  return `${head}${key.slice(dot)}`;
}

/**
 * File key -> live tensor of one adapter in PEFT's format. The same map serves saving (the
 * tensors to write) and loading (the tensors to fill), except for methods that store a computed
 * tensor (prefix tuning's projected prompts), which give both maps themselves.
 */
export function peftTensors(
  peft: PeftModel,
  name: string,
  purpose: 'save' | 'load',
): Map<string, Tensor> {
  const tuner = peft.tuner;
  const config = peft.peftConfig[name];
  const out = new Map<string, Tensor>();
  const own = purpose === 'save' ? tuner.savedTensors?.(name) : tuner.loadTargets?.(name);
  const prefix = peft.method.promptLearning ? 'base_model.' : 'base_model.model.';
  const wrapperPaths = [...peft.modulesToSave().keys()].map((k) => `${prefix}${k}`);
  if (own) {
    for (const [k, t] of own) out.set(k, t);
  } else if (tuner.selectStateKeys) {
    const others = Object.keys(peft.peftConfig).filter((n) => n !== name);
    const state = peft.stateDict({ share: true });
    const keys = [...state.keys()].filter(
      (k) => !others.some((o) => k.includes(`.${o}.`) || k.endsWith(`.${o}`)),
    );
    for (const k of tuner.selectStateKeys(keys, config)) {
      if (wrapperPaths.some((w) => k.startsWith(`${w}.`))) continue;
      out.set(removeAdapterName(k, name), state.get(k)!);
    }
  }
  // modules_to_save: the adapter's copy, under the wrapped module's own name.
  for (const [path, w] of peft.modulesToSave()) {
    if (!w.hasAdapter(name)) continue;
    for (const [k, t] of w.modules_to_save.get(name).stateDict({ share: true })) {
      out.set(`${prefix}${path}.${k}`, t);
    }
  }
  return out;
}

/** File key -> live tensor for a method with its own directory format (AdapterHub). */
function formatTensors(peft: PeftModel, name: string): Map<string, Tensor> {
  const format = peft.method.directory!;
  const out = new Map<string, Tensor>();
  for (const [k, t] of peft.stateDict({ share: true })) {
    const f = format.fileKey(k, name);
    if (f !== null) out.set(f, t);
  }
  return out;
}

export interface SaveAdaptersOptions {
  /** Adapters to save (default all); 'default' goes to dir itself, others to dir/<name>. */
  selectedAdapters?: readonly string[];
}

/** PEFT's save_pretrained: every selected adapter's config and weights, written atomically. */
export async function saveAdapters(
  peft: PeftModel,
  dir: string,
  options: SaveAdaptersOptions = {},
): Promise<void> {
  const configs = peft.peftConfig;
  const names = options.selectedAdapters ?? Object.keys(configs);
  for (const name of names) {
    if (!configs[name]) throw new ConfigError(`savePretrained: no adapter '${name}'`);
  }
  const method = peft.method;
  const format = method.directory;
  for (const name of names) {
    const out = name === 'default' ? dir : join(dir, name);
    try {
      await fsp.mkdir(out, { recursive: true });
    } catch (err) {
      throw new CheckpointError(`savePretrained: cannot create ${out}: ${String(err)}`, {
        cause: err,
      });
    }
    const tensors = format ? formatTensors(peft, name) : peftTensors(peft, name, 'save');
    const toWrite = new Map<string, TensorToWrite>();
    for (const [k, t] of tensors) {
      toWrite.set(k, {
        dtype: t.dtype === 'float64' ? 'F64' : 'F32',
        shape: t.shape,
        data: t.data as Float32Array,
      });
    }
    const config = { ...configs[name], inference_mode: true };
    const extras = peft.configExtras(name);
    if (format) {
      await saveSafetensors(join(out, format.weightsName), toWrite, { format: 'pt' });
      const json = format.writeConfig(config, extras, peft.getBaseModel(), name);
      await writeFileAtomic(
        join(out, format.configName),
        `${JSON.stringify(sortKeys(json), null, 2)}\n`,
      );
    } else {
      await saveSafetensors(join(out, PEFT_WEIGHTS_NAME), toWrite, { format: 'pt' });
      await writeFileAtomic(join(out, PEFT_CONFIG_NAME), configJson(config, extras));
    }
  }
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

export interface AdapterDirectory {
  method: PeftMethod;
  /** The config input to parse (PEFT fields), with the file's extra keys. */
  input: Record<string, unknown> & { peft_type: string };
  /** The adapter name in the file's keys (AdapterHub keeps names in keys; PEFT removes them). */
  savedName: string | null;
  weightsPath: string;
  configPath: string;
  /** Files of the format beside the adapter that loading does not read (AdapterHub's heads). */
  ignoredPresent: string[];
}

/** Read and identify an adapter directory (PEFT's or a registered format such as AdapterHub's). */
export async function readAdapterDirectory(dir: string): Promise<AdapterDirectory> {
  const configPath = join(dir, PEFT_CONFIG_NAME);
  let text: string;
  try {
    text = await fsp.readFile(configPath, 'utf8');
  } catch (err) {
    throw new CheckpointError(`${configPath}: cannot read the adapter config (${String(err)})`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${configPath}: not valid JSON (${String(err)})`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(`${configPath}: expected a JSON object`);
  }
  const obj = json as Record<string, unknown>;
  let method: PeftMethod;
  if ('peft_type' in obj) {
    try {
      method = peftMethodForType(obj.peft_type);
    } catch (err) {
      throw new ConfigError(`${configPath}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    const m = listPeftMethods().find((x) => x.directory?.detect(obj));
    if (!m) {
      throw new ConfigError(
        `${configPath}: neither a PEFT config (no 'peft_type') nor a known adapter format`,
      );
    }
    method = m;
  }
  const format = 'peft_type' in obj ? undefined : method.directory!;
  const names = format
    ? [format.weightsName, ...(format.pickleName ? [format.pickleName] : [])]
    : [PEFT_WEIGHTS_NAME, PEFT_PICKLE_NAME];
  let weightsPath = '';
  for (const n of names) {
    if (await exists(join(dir, n))) {
      weightsPath = join(dir, n);
      break;
    }
  }
  if (weightsPath === '') throw new CheckpointError(`${dir}: no ${names.join(' or ')}`);
  let input: Record<string, unknown> = obj;
  let savedName: string | null = null;
  const ignoredPresent: string[] = [];
  if (format) {
    const keys = weightsPath.endsWith('.bin')
      ? [...(await loadTorchBin(weightsPath)).keys()]
      : [...(await readSafetensorsHeader(weightsPath)).tensors.keys()];
    try {
      ({ input, savedName } = format.readConfig(obj, keys));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new ConfigError(`${configPath}: ${err.message}`, { cause: err });
    }
    for (const n of format.ignoredFiles ?? [])
      if (await exists(join(dir, n))) ignoredPresent.push(n);
  }
  return {
    method,
    input: { ...input, peft_type: method.peftType },
    savedName,
    weightsPath,
    configPath,
    ignoredPresent,
  };
}

/** A weights file's tensors: safetensors, or a torch.save zip of plain tensors (`.bin`). */
async function readWeights(path: string): Promise<Map<string, SafeTensorEntry>> {
  return path.endsWith('.bin') ? loadTorchBin(path) : (await loadSafetensors(path)).tensors;
}

function exists(path: string): Promise<boolean> {
  return fsp.stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Fill one adapter's tensors from a weights file: every expected tensor must be there with its
 * shape (CheckpointError listing all problems, nothing copied otherwise); keys the adapter does
 * not have are reported through the warning handler, as PEFT does.
 */
export async function loadAdapterWeights(
  peft: PeftModel,
  name: string,
  dir: AdapterDirectory,
): Promise<void> {
  const file = { tensors: await readWeights(dir.weightsPath) };
  const format = dir.method.directory;
  const targets = format ? formatTensors(peft, name) : peftTensors(peft, name, 'load');
  const prefix = peft.getBaseModel().spec.baseModelPrefix;
  // Older releases' names are matched in today's form (AdapterHub's legacy weight names).
  const byKey = new Map<string, [string, SafeTensorEntry]>();
  for (const [k, e] of file.tensors) byKey.set(format?.legacyKey?.(k) ?? k, [k, e]);
  const lookup = (key: string): [string, SafeTensorEntry] | undefined => {
    const candidates = [key];
    if (format && dir.savedName !== null) {
      const k = format.renameFileKey(key, name, dir.savedName);
      // AdapterHub saves from a model with or without its base prefix ('bert.'); accept both.
      candidates.unshift(
        k,
        k.startsWith(`${prefix}.`) ? k.slice(prefix.length + 1) : `${prefix}.${k}`,
      );
    }
    for (const c of candidates) {
      const hit = byKey.get(c);
      if (hit) return hit;
    }
    return undefined;
  };
  const problems: string[] = [];
  const used = new Set<string>();
  const plan: [Tensor, SafeTensorEntry][] = [];
  for (const [key, target] of targets) {
    const hit = lookup(key);
    if (!hit) {
      problems.push(`missing '${key}'`);
      continue;
    }
    const [fileKey, entry] = hit;
    used.add(fileKey);
    if (entry.shape.join() !== target.shape.join()) {
      problems.push(
        `'${fileKey}' has shape [${entry.shape.join(', ')}], the adapter needs [${target.shape.join(', ')}]`,
      );
      continue;
    }
    plan.push([target, entry]);
  }
  if (problems.length > 0) {
    throw new CheckpointError(
      `${dir.weightsPath}: cannot load adapter '${name}': ${problems.join('; ')}`,
    );
  }
  for (const [target, entry] of plan) {
    let data: Float32Array | Float64Array;
    try {
      data = target.dtype === 'float64' ? decodeFloat64(entry) : decodeFloat32(entry);
    } catch (err) {
      throw new CheckpointError(`${dir.weightsPath}: ${(err as Error).message}`, { cause: err });
    }
    target.data.set(data);
  }
  if (dir.ignoredPresent.length > 0) {
    peft.onWarning(
      `${dir.weightsPath}: ${dir.ignoredPresent.join(', ')} not loaded (prediction heads are not part of an adapter here)`,
    );
  }
  const unexpected = [...file.tensors.keys()].filter((k) => !used.has(k));
  if (unexpected.length > 0) {
    peft.onWarning(
      `${dir.weightsPath}: ${unexpected.length} tensor(s) not used by adapter '${name}': ${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}`,
    );
  }
}
