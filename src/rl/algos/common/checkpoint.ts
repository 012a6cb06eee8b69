import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CheckpointError,
  decodeFloat32,
  decodeFloat64,
  OsmosisError,
  readSafetensors,
  serializeSafetensorsChunks,
  Tensor,
  writeFileAtomic,
  type TensorToWrite,
} from '../../../core/index.js';
import type { Module } from '../../../nn/index.js';
import { makeAny } from '../../registry.js';
import { Dict, spaceFromJSON, type Space, type SpaceJSON } from '../../spaces/index.js';

/*
 * The agent checkpoint: a folder with
 *   config.json        {format: 'osmosis-agent', version: 1, algo, envId, envOptions,
 *                       observationSpace, actionSpace, hyperparams, networks, modelSha256}
 *   model.safetensors  every network's state dict, names prefixed by the network's name
 *                       (`q_network.0.weight`, `actor.log_std`, ...)
 * Both files are written atomically, the model first. The config records the model's SHA-256, so
 * a folder whose model was replaced but whose config was not (a crash between the two renames,
 * or files copied from two runs) is refused instead of loaded wrong. For parallel (multi-agent)
 * envs the spaces are Dict spaces keyed by agent id.
 */

export const CHECKPOINT_FORMAT = 'osmosis-agent';
export const CHECKPOINT_VERSION = 1;
export const CONFIG_FILE = 'config.json';
export const MODEL_FILE = 'model.safetensors';

const jsonRecord = z.record(z.string(), z.unknown());

const configSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    version: z.literal(CHECKPOINT_VERSION),
    algo: z.string().min(1),
    envId: z.string().min(1),
    envOptions: jsonRecord,
    observationSpace: jsonRecord,
    actionSpace: jsonRecord,
    hyperparams: jsonRecord,
    networks: z.array(z.string().regex(/^[A-Za-z_][\w-]*$/)).min(1),
    modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Algorithm-specific JSON state (observation normalisation statistics, agent ids, ...). */
    extra: jsonRecord.optional(),
  })
  .strict();

export interface AgentCheckpointConfig {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  algo: string;
  envId: string;
  envOptions: Record<string, unknown>;
  observationSpace: SpaceJSON;
  actionSpace: SpaceJSON;
  hyperparams: Record<string, unknown>;
  networks: string[];
  modelSha256: string;
  extra?: Record<string, unknown>;
}

export interface SaveAgentCheckpointOptions {
  algo: string;
  envId: string;
  envOptions: Record<string, unknown>;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  hyperparams: Record<string, unknown>;
  /** Network name -> module; the name prefixes its tensors. */
  networks: Record<string, Module>;
  extra?: Record<string, unknown>;
}

/** Write `config.json` + `model.safetensors` into `dir` (created if needed), each atomically. */
export async function saveAgentCheckpoint(
  dir: string,
  options: SaveAgentCheckpointOptions,
): Promise<void> {
  const names = Object.keys(options.networks);
  if (names.length === 0) throw new CheckpointError(`saveAgentCheckpoint(${dir}): no networks`);
  const tensors = new Map<string, TensorToWrite>();
  for (const name of names) {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) {
      throw new CheckpointError(
        `saveAgentCheckpoint(${dir}): network name '${name}' must be letters, digits, '_' or '-'`,
      );
    }
    for (const [key, t] of options.networks[name].stateDict({ prefix: name })) {
      if (t.dtype === 'int32') tensors.set(key, { dtype: 'I32', shape: t.shape, data: t.data });
      else {
        tensors.set(key, {
          dtype: t.dtype === 'float64' ? 'F64' : 'F32',
          shape: t.shape,
          data: t.data as Float32Array | Float64Array,
        });
      }
    }
  }
  const chunks = serializeSafetensorsChunks(tensors, { format: 'pt' });
  const hash = createHash('sha256');
  for (const c of chunks) hash.update(c);
  const config: AgentCheckpointConfig = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    algo: options.algo,
    envId: options.envId,
    envOptions: options.envOptions,
    observationSpace: options.observationSpace.toJSON(),
    actionSpace: options.actionSpace.toJSON(),
    hyperparams: options.hyperparams,
    networks: names,
    modelSha256: hash.digest('hex'),
    ...(options.extra ? { extra: options.extra } : {}),
  };
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new CheckpointError(`cannot create checkpoint folder ${dir}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  await writeFileAtomic(join(dir, MODEL_FILE), chunks);
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

/** A validated checkpoint, ready for an algorithm to rebuild its agent from. */
export interface LoadedCheckpoint<H = Record<string, unknown>> {
  dir: string;
  config: AgentCheckpointConfig;
  hyperparams: H;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  tensors: Map<string, Tensor>;
}

export interface LoadAgentCheckpointOptions<H> {
  /** The algorithm expected in config.json; another one is an error. */
  algo: string;
  /** Parses config.hyperparams (the algorithm's zod schema). */
  schema?: z.ZodType<H>;
  /** Check the spaces against a freshly made env (default true). */
  checkEnv?: boolean;
}

/** Read config.json only (e.g. to find which algorithm loads a folder), fully validated. */
export async function readCheckpointConfig(dir: string): Promise<AgentCheckpointConfig> {
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read the checkpoint config: ${messageOf(err)}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`${path}: not valid JSON: ${messageOf(err)}`, { cause: err });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError(`${path}: expected a JSON object`);
  }
  const obj = json as Record<string, unknown>;
  if (obj.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `${path}: field 'format': expected '${CHECKPOINT_FORMAT}', got ${show(obj.format)} (not an Osmosis agent checkpoint)`,
    );
  }
  if (obj.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `${path}: field 'version': this Osmosis reads version ${CHECKPOINT_VERSION}, got ${show(obj.version)}`,
    );
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || '(root)';
    throw new CheckpointError(`${path}: field '${field}': ${issue.message}`, {
      cause: parsed.error,
    });
  }
  const config = parsed.data as unknown as AgentCheckpointConfig;
  for (const key of ['observationSpace', 'actionSpace'] as const) {
    try {
      spaceFromJSON(config[key]);
    } catch (err) {
      throw new CheckpointError(`${path}: field '${key}': ${messageOf(err)}`, { cause: err });
    }
  }
  return config;
}

/**
 * Read and validate a checkpoint folder: config.json (format, version, algo, spaces,
 * hyperparams through `schema`), the model's SHA-256, every tensor's dtype, and (unless
 * checkEnv is false) that the env still has the recorded spaces. Networks are restored with
 * `restoreNetworks`, which checks names and shapes.
 */
export async function loadAgentCheckpoint<H = Record<string, unknown>>(
  dir: string,
  options: LoadAgentCheckpointOptions<H>,
): Promise<LoadedCheckpoint<H>> {
  const config = await readCheckpointConfig(dir);
  const configPath = join(dir, CONFIG_FILE);
  if (config.algo !== options.algo) {
    throw new CheckpointError(
      `${configPath}: field 'algo': expected '${options.algo}', got '${config.algo}' (load it with the '${config.algo}' algorithm)`,
    );
  }
  let hyperparams = config.hyperparams as H;
  if (options.schema) {
    const parsed = options.schema.safeParse(config.hyperparams);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field =
        issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
      throw new CheckpointError(
        `${configPath}: field 'hyperparams${field ? `.${field}` : ''}': ${issue.message}`,
        { cause: parsed.error },
      );
    }
    hyperparams = parsed.data;
  }
  const observationSpace = spaceFromJSON(config.observationSpace);
  const actionSpace = spaceFromJSON(config.actionSpace);
  if (options.checkEnv ?? true) checkEnvSpaces(configPath, config, observationSpace, actionSpace);

  const modelPath = join(dir, MODEL_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(modelPath);
  } catch (err) {
    throw new CheckpointError(`${modelPath}: cannot read the model: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== config.modelSha256) {
    throw new CheckpointError(
      `${modelPath}: SHA-256 ${sha.slice(0, 12)}... does not match config.json's modelSha256 ${config.modelSha256.slice(0, 12)}... (the folder mixes files from two saves)`,
    );
  }
  const tensors = new Map<string, Tensor>();
  try {
    const file = readSafetensors(bytes, modelPath);
    for (const [name, entry] of file.tensors) {
      if (entry.dtype === 'F32') tensors.set(name, new Tensor(decodeFloat32(entry), entry.shape));
      else if (entry.dtype === 'F64') {
        tensors.set(name, new Tensor(decodeFloat64(entry), entry.shape));
      } else {
        throw new CheckpointError(
          `${modelPath}: tensor '${name}': dtype ${entry.dtype} is not a network weight dtype (F32 or F64)`,
        );
      }
    }
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`${modelPath}: ${messageOf(err)}`, { cause: err });
  }
  return { dir, config, hyperparams, observationSpace, actionSpace, tensors };
}

/**
 * Copy each named network's tensors into its module. The names must be exactly the checkpoint's
 * `networks`; every module key must be present with the same shape, and no tensor may be left
 * over. Nothing is copied unless everything checks out.
 */
export function restoreNetworks(
  checkpoint: LoadedCheckpoint<unknown>,
  networks: Record<string, Module>,
): void {
  const configPath = join(checkpoint.dir, CONFIG_FILE);
  const modelPath = join(checkpoint.dir, MODEL_FILE);
  const want = Object.keys(networks).sort();
  const have = [...checkpoint.config.networks].sort();
  if (want.join(',') !== have.join(',')) {
    throw new CheckpointError(
      `${configPath}: field 'networks': expected [${want.join(', ')}], got [${have.join(', ')}]`,
    );
  }
  const used = new Set<string>();
  const copies: [Tensor, Tensor][] = [];
  for (const name of want) {
    for (const [key, target] of networks[name].stateDict({ share: true, prefix: name })) {
      const source = checkpoint.tensors.get(key);
      if (!source) throw new CheckpointError(`${modelPath}: missing tensor '${key}'`);
      const same =
        source.shape.length === target.shape.length &&
        source.shape.every((d, i) => d === target.shape[i]);
      if (!same) {
        throw new CheckpointError(
          `${modelPath}: tensor '${key}' has shape [${source.shape.join(', ')}], the network expects [${target.shape.join(', ')}] (hyperparams in config.json do not match the weights)`,
        );
      }
      used.add(key);
      copies.push([target, source]);
    }
  }
  const extra = [...checkpoint.tensors.keys()].filter((k) => !used.has(k));
  if (extra.length > 0) {
    throw new CheckpointError(
      `${modelPath}: unexpected tensor${extra.length > 1 ? 's' : ''} ${extra
        .slice(0, 5)
        .map((k) => `'${k}'`)
        .join(', ')}${extra.length > 5 ? ', ...' : ''}`,
    );
  }
  for (const [target, source] of copies) target.data.set(source.data);
}

/** The env's spaces as recorded in checkpoints (Dict keyed by agent for parallel envs). */
export function envSpaces(
  envId: string,
  envOptions: Record<string, unknown>,
): { observationSpace: Space<unknown>; actionSpace: Space<unknown> } {
  const made = makeAny(envId, envOptions);
  try {
    if (made.kind === 'single') {
      return { observationSpace: made.env.observationSpace, actionSpace: made.env.actionSpace };
    }
    const env = made.env;
    const obs: Record<string, Space<unknown>> = {};
    const act: Record<string, Space<unknown>> = {};
    for (const a of env.possibleAgents) {
      obs[a] = env.observationSpace(a);
      act[a] = env.actionSpace(a);
    }
    return { observationSpace: new Dict(obs), actionSpace: new Dict(act) };
  } finally {
    made.env.close();
  }
}

function checkEnvSpaces(
  configPath: string,
  config: AgentCheckpointConfig,
  observationSpace: Space<unknown>,
  actionSpace: Space<unknown>,
): void {
  let spaces: ReturnType<typeof envSpaces>;
  try {
    spaces = envSpaces(config.envId, config.envOptions);
  } catch (err) {
    const field =
      err instanceof OsmosisError && /option/.test(err.message) ? 'envOptions' : 'envId';
    throw new CheckpointError(
      `${configPath}: field '${field}': cannot make env '${config.envId}': ${messageOf(err)}`,
      { cause: err },
    );
  }
  if (!spaces.observationSpace.equals(observationSpace)) {
    throw new CheckpointError(
      `${configPath}: field 'observationSpace': ${short(observationSpace)} does not match env '${config.envId}' (${short(spaces.observationSpace)})`,
    );
  }
  if (!spaces.actionSpace.equals(actionSpace)) {
    throw new CheckpointError(
      `${configPath}: field 'actionSpace': ${short(actionSpace)} does not match env '${config.envId}' (${short(spaces.actionSpace)})`,
    );
  }
}

function short(space: Space<unknown>): string {
  const s = space.toString();
  return s.length > 160 ? `${s.slice(0, 160)}...` : s;
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ');
}
