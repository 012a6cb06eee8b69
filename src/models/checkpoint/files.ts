import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import {
  CheckpointError,
  ConfigError,
  loadSafetensors,
  type SafeTensorEntry,
} from '../../core/index.js';

/** Hugging Face's file names inside a model directory. */
export const CONFIG_NAME = 'config.json';
export const SAFE_WEIGHTS_NAME = 'model.safetensors';
export const SAFE_WEIGHTS_INDEX_NAME = 'model.safetensors.index.json';
/** model-00001-of-00003.safetensors */
export const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** config.json as a plain object; a missing file is a CheckpointError, bad JSON a ConfigError. */
export async function readConfigJson(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, CONFIG_NAME);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read the model config (${describe(err)})`, {
      cause: err,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid JSON (${describe(err)})`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${path}: expected a JSON object`);
  }
  return raw as Record<string, unknown>;
}

export interface CheckpointTensors {
  /** Every tensor by checkpoint key (views into the files' bytes). */
  tensors: Map<string, SafeTensorEntry>;
  /** The files read, relative to the directory. */
  files: string[];
}

/**
 * The weights of a Hugging Face directory: model.safetensors, or the shards listed by
 * model.safetensors.index.json (Hugging Face prefers the single file when both exist).
 */
export async function readCheckpointTensors(dir: string): Promise<CheckpointTensors> {
  const single = join(dir, SAFE_WEIGHTS_NAME);
  if (await exists(single)) {
    const file = await loadSafetensors(single);
    return { tensors: file.tensors, files: [SAFE_WEIGHTS_NAME] };
  }
  const indexPath = join(dir, SAFE_WEIGHTS_INDEX_NAME);
  if (await exists(indexPath)) return readSharded(dir, indexPath);
  const others = [
    'pytorch_model.bin',
    'pytorch_model.bin.index.json',
    'tf_model.h5',
    'flax_model.msgpack',
  ];
  const found: string[] = [];
  for (const name of others) if (await exists(join(dir, name))) found.push(name);
  const hint =
    found.length > 0
      ? ` (found ${found.join(', ')}: only safetensors checkpoints are read; convert with save_pretrained(..., safe_serialization=True))`
      : '';
  throw new CheckpointError(`${dir}: no ${SAFE_WEIGHTS_NAME} or ${SAFE_WEIGHTS_INDEX_NAME}${hint}`);
}

async function readSharded(dir: string, indexPath: string): Promise<CheckpointTensors> {
  let index: unknown;
  try {
    index = JSON.parse(await fsp.readFile(indexPath, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${indexPath}: cannot read the shard index (${describe(err)})`, {
      cause: err,
    });
  }
  const weightMap =
    typeof index === 'object' && index !== null && !Array.isArray(index)
      ? (index as Record<string, unknown>).weight_map
      : undefined;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(`${indexPath}: expected an object with a "weight_map" object`);
  }
  const byFile = new Map<string, string[]>();
  for (const [key, file] of Object.entries(weightMap)) {
    if (typeof file !== 'string' || !isPlainFileName(file)) {
      throw new CheckpointError(
        `${indexPath}: weight_map[${JSON.stringify(key)}] must be a file name in the same directory, got ${JSON.stringify(file)}`,
      );
    }
    const keys = byFile.get(file) ?? [];
    keys.push(key);
    byFile.set(file, keys);
  }
  if (byFile.size === 0) throw new CheckpointError(`${indexPath}: weight_map is empty`);
  const tensors = new Map<string, SafeTensorEntry>();
  for (const [file, keys] of byFile) {
    const shard = await loadSafetensors(join(dir, file));
    for (const key of keys) {
      const entry = shard.tensors.get(key);
      if (!entry) {
        throw new CheckpointError(
          `${indexPath}: weight_map puts ${JSON.stringify(key)} in ${file}, which does not hold it`,
        );
      }
      tensors.set(key, entry);
    }
  }
  return { tensors, files: [...byFile.keys()].sort() };
}

function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

export function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}
