/**
 * Optimizer state in a safetensors file: every buffer is a tensor named `state.<index>.<key>`,
 * everything else (hyperparameters, step counts, which entries are buffers) is JSON in the
 * `osmosis.optimizer` metadata entry. Written atomically by the safetensors writer.
 */
import { CheckpointError, type FloatArray } from '../core/index.js';
import {
  decodeFloat32,
  decodeFloat64,
  loadSafetensors,
  saveSafetensors,
  type SafetensorsFile,
  type TensorToWrite,
} from '../core/safetensors/index.js';
import type { OptimizerStateDict, SavedBuffer } from './state.js';

const METADATA_KEY = 'osmosis.optimizer';
const BUFFER = { buffer: true } as const;

export interface SafetensorsPayload {
  tensors: Map<string, TensorToWrite>;
  metadata: Record<string, string>;
}

export function optimizerStateToSafetensors(sd: OptimizerStateDict): SafetensorsPayload {
  const tensors = new Map<string, TensorToWrite>();
  const state: Record<string, Record<string, unknown>> = {};
  for (const [id, entry] of Object.entries(sd.state)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (v === null || typeof v === 'number') {
        out[k] = v;
        continue;
      }
      const data: FloatArray = ArrayBuffer.isView(v) ? v : Float64Array.from(v as SavedBuffer);
      tensors.set(`state.${id}.${k}`, {
        dtype: data instanceof Float32Array ? 'F32' : 'F64',
        shape: [data.length],
        data,
      });
      out[k] = BUFFER;
    }
    state[id] = out;
  }
  const json = JSON.stringify({ format: 1, state, paramGroups: sd.paramGroups });
  return { tensors, metadata: { [METADATA_KEY]: json } };
}

/** The state dict back from a file's tensors and metadata (Optimizer.loadStateDict validates it). */
export function optimizerStateFromSafetensors(
  file: SafetensorsFile,
  source = '<buffer>',
): OptimizerStateDict {
  const fail = (why: string): never => {
    throw new CheckpointError(`optimizer state in ${source}: ${why}`);
  };
  const text = file.metadata[METADATA_KEY];
  if (typeof text !== 'string') fail(`no '${METADATA_KEY}' metadata entry`);
  let parsed: { format?: unknown; state?: unknown; paramGroups?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`optimizer state in ${source}: metadata is not JSON`, { cause: err });
  }
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(parsed) || parsed.format !== 1 || !isObj(parsed.state)) {
    fail('metadata is not format 1 with a state object');
  }
  const state: OptimizerStateDict['state'] = {};
  const used = new Set<string>();
  for (const [id, entry] of Object.entries(parsed.state as Record<string, unknown>)) {
    if (!isObj(entry)) fail(`state['${id}'] is not an object`);
    const out: Record<string, number | SavedBuffer | null> = {};
    for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
      if (isObj(v) && v.buffer === true) {
        const name = `state.${id}.${k}`;
        const t = file.tensors.get(name);
        if (!t) fail(`tensor '${name}' is missing`);
        if (t!.dtype !== 'F32' && t!.dtype !== 'F64') fail(`tensor '${name}' is ${t!.dtype}`);
        out[k] = t!.dtype === 'F32' ? decodeFloat32(t!) : decodeFloat64(t!);
        used.add(name);
      } else out[k] = v as number | null;
    }
    state[id] = out;
  }
  for (const name of file.tensors.keys()) {
    if (!used.has(name)) fail(`unexpected tensor '${name}'`);
  }
  return { state, paramGroups: parsed.paramGroups as OptimizerStateDict['paramGroups'] };
}

export async function saveOptimizerState(
  path: string,
  optimizer: { stateDict(): OptimizerStateDict },
): Promise<void> {
  const { tensors, metadata } = optimizerStateToSafetensors(optimizer.stateDict());
  await saveSafetensors(path, tensors, metadata);
}

export async function loadOptimizerState(
  path: string,
  optimizer: { loadStateDict(sd: OptimizerStateDict): void },
): Promise<void> {
  optimizer.loadStateDict(optimizerStateFromSafetensors(await loadSafetensors(path), path));
}
