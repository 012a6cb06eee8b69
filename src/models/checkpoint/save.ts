import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import {
  CheckpointError,
  saveSafetensors,
  ValueError,
  writeFileAtomic,
  type Tensor,
  type TensorToWrite,
} from '../../core/index.js';
import type { PreTrainedModel } from '../common/pretrained.js';
import {
  CONFIG_NAME,
  describe,
  SAFE_WEIGHTS_INDEX_NAME,
  SAFE_WEIGHTS_NAME,
  SHARD_PATTERN,
} from './files.js';

export type SaveDType = 'F32' | 'F16' | 'BF16';

export interface SavePretrainedOptions {
  /**
   * Largest shard, in bytes or as Hugging Face writes it ('5GB' = 5e9 bytes, '500MiB' = 500 *
   * 2^20). A checkpoint above it is split into model-0000i-of-0000n.safetensors files plus
   * model.safetensors.index.json. Default '5GB', Hugging Face's default.
   */
  maxShardSize?: number | string;
  /** Weight dtype on disk (default F32; F16/BF16 round to nearest even). */
  dtype?: SaveDType;
}

const TORCH_DTYPE: Record<SaveDType, string> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
};
const BYTES: Record<SaveDType, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * Write a Hugging Face directory: config.json and model.safetensors, or shards and an index when
 * the weights exceed maxShardSize. Every file is written atomically; weights come first and stale
 * weight files of an earlier save are removed last, so a reader sees the old or the new weights
 * (Hugging Face prefers model.safetensors over an index, which makes both switches safe).
 * Tied aliases (lm_head.weight tied to the embedding) are not written, as Hugging Face does.
 */
export async function savePretrained(
  model: PreTrainedModel,
  dir: string,
  options: SavePretrainedOptions = {},
): Promise<void> {
  const dtype = options.dtype ?? 'F32';
  if (!(dtype in TORCH_DTYPE)) {
    throw new ValueError(`savePretrained: dtype must be F32, F16 or BF16, got ${String(dtype)}`);
  }
  const maxShard = parseSize(options.maxShardSize ?? '5GB');
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new CheckpointError(`savePretrained: cannot create ${dir}: ${describe(err)}`, {
      cause: err,
    });
  }
  const state = model.stateDict({ share: true });
  for (const [alias, source] of model.tiedWeightKeys()) {
    const a = state.get(alias);
    const s = state.get(source);
    if (a && s && a.data === s.data) state.delete(alias);
  }
  const shards = splitShards([...state.entries()], maxShard, BYTES[dtype]);
  const written = new Set<string>();
  const metadata = { format: 'pt' };
  if (shards.length === 1) {
    await saveSafetensors(join(dir, SAFE_WEIGHTS_NAME), toWrite(shards[0], dtype), metadata);
    written.add(SAFE_WEIGHTS_NAME);
  } else {
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (const [i, shard] of shards.entries()) {
      const name = `model-${pad5(i + 1)}-of-${pad5(shards.length)}.safetensors`;
      await saveSafetensors(join(dir, name), toWrite(shard, dtype), metadata);
      written.add(name);
      for (const [key, t] of shard) {
        weightMap[key] = name;
        totalSize += t.size * BYTES[dtype];
      }
    }
    const sortedMap = Object.fromEntries(
      Object.keys(weightMap)
        .sort()
        .map((k) => [k, weightMap[k]]),
    );
    const index = { metadata: { total_size: totalSize }, weight_map: sortedMap };
    await writeFileAtomic(
      join(dir, SAFE_WEIGHTS_INDEX_NAME),
      `${JSON.stringify(index, null, 2)}\n`,
    );
    written.add(SAFE_WEIGHTS_INDEX_NAME);
  }
  // transformers 5 names the field `dtype` and 4.x `torch_dtype`: write both, so a `dtype` read
  // from a transformers 5 config (kept as an extra) cannot contradict the weights written.
  const config = {
    ...model.configDict(),
    dtype: TORCH_DTYPE[dtype],
    torch_dtype: TORCH_DTYPE[dtype],
  };
  await writeFileAtomic(join(dir, CONFIG_NAME), `${JSON.stringify(sortKeys(config), null, 2)}\n`);
  await removeStaleWeights(dir, written);
}

/** Greedy split in state-dict order, as Hugging Face's split_torch_state_dict_into_shards. */
function splitShards(
  entries: [string, Tensor][],
  maxBytes: number,
  bytesPerValue: number,
): [string, Tensor][][] {
  const shards: [string, Tensor][][] = [[]];
  let size = 0;
  for (const entry of entries) {
    const bytes = entry[1].size * bytesPerValue;
    const current = shards[shards.length - 1];
    if (current.length > 0 && size + bytes > maxBytes) {
      shards.push([entry]);
      size = bytes;
    } else {
      current.push(entry);
      size += bytes;
    }
  }
  return shards;
}

function toWrite(shard: [string, Tensor][], dtype: SaveDType): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [key, t] of shard) {
    if (t.dtype === 'int32') {
      throw new CheckpointError(`savePretrained: ${key} is an int32 tensor; only floats are saved`);
    }
    const data =
      t.data instanceof Float64Array && dtype !== 'F32' ? new Float32Array(t.data) : t.data;
    out.set(key, { dtype, shape: t.shape, data: data as Float32Array | Float64Array });
  }
  return out;
}

async function removeStaleWeights(dir: string, keep: ReadonlySet<string>): Promise<void> {
  const names = await fsp.readdir(dir);
  for (const name of names) {
    const isWeights =
      name === SAFE_WEIGHTS_NAME || name === SAFE_WEIGHTS_INDEX_NAME || SHARD_PATTERN.test(name);
    if (isWeights && !keep.has(name)) await fsp.rm(join(dir, name), { force: true });
  }
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

/** Bytes from a number or Hugging Face's size strings ('5GB', '200MB', '1.5GiB', '10kb'). */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') {
    if (!(Number.isFinite(size) && size > 0)) {
      throw new ValueError(`savePretrained: maxShardSize must be a positive number, got ${size}`);
    }
    return size;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)?\s*$/.exec(size);
  const unit = (m?.[2] ?? 'B').toUpperCase();
  if (!m || !(unit in UNITS) || !(Number(m[1]) > 0)) {
    throw new ValueError(
      `savePretrained: maxShardSize '${size}' is not a size (e.g. 5GB, 500MB, 1GiB, or bytes)`,
    );
  }
  return Number(m[1]) * UNITS[unit];
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}

function sortKeys(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, obj[k]]),
  );
}
