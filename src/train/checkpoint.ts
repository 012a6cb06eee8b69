/**
 * Training checkpoints: `outputDir/checkpoint-<step>/` holding
 *
 *   model.safetensors      every parameter and persistent buffer (the module's state dict)
 *   optimizer.safetensors  optimizer state (src/optim/checkpoint.ts)
 *   scheduler.json         learning-rate scheduler state
 *   training_args.json     the arguments of the run
 *   trainer_state.json     step, epoch, data position, log history, best metric, RNG states,
 *                          stateful callbacks, running loss sums (written last)
 *
 * A checkpoint is written into a temporary sibling directory (`.checkpoint-<step>.tmp-...`), every
 * file fsynced, and then renamed into place and the parent directory fsynced: a process killed at
 * any moment leaves the previous checkpoints untouched and never a partial `checkpoint-<step>`.
 * Readers validate every file before anything is applied.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CheckpointError,
  decodeFloat32,
  decodeFloat64,
  decodeInt32,
  loadSafetensors,
  saveSafetensors,
  Tensor,
  writeFileAtomic,
  type SafetensorsFile,
  type TensorToWrite,
} from '../core/index.js';
import type { Module } from '../nn/index.js';
import {
  optimizerStateFromSafetensors,
  saveOptimizerState,
  type LRSchedulerState,
  type OptimizerStateDict,
} from '../optim/index.js';

export const CHECKPOINT_PREFIX = 'checkpoint-';
export const MODEL_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const SCHEDULER_FILE = 'scheduler.json';
export const TRAINER_STATE_FILE = 'trainer_state.json';
export const TRAINING_ARGS_FILE = 'training_args.json';

const CHECKPOINT_NAME = /^checkpoint-(\d+)$/;
const TEMP_NAME = /^\.(checkpoint-\d+)\.(tmp|old)-(\d+)-\d+$/;

const num = z.number().nullable(); // JSON turns NaN/Infinity into null
const count = z.number().int().nonnegative();

const generatorStateSchema = z
  .object({
    s: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
    spare: z.number().nullable(),
  })
  .strict();

const lossSumSchema = z.object({ sum: z.number(), steps: count }).strict();

/** trainer_state.json: everything besides weights and optimizer state that resume needs. */
export const savedTrainerStateSchema = z
  .object({
    format: z.literal('osmosis-trainer-state'),
    version: z.literal(1),
    globalStep: count,
    epoch: z.number().nonnegative(),
    /** Data position: the epoch being run and how many of its optimizer steps are done. */
    epochIndex: count,
    stepsInEpoch: count,
    maxSteps: count,
    numTrainEpochs: count,
    updatesPerEpoch: z.number().int().positive(),
    /** The data layout the position refers to; resuming with another one is not exact. */
    numExamples: count,
    trainBatchSize: z.number().int().positive(),
    gradientAccumulationSteps: z.number().int().positive(),
    dataSeed: z.number().int(),
    logHistory: z.array(z.record(z.string(), num)),
    bestMetric: num,
    bestModelCheckpoint: z.string().nullable(),
    /** Loss sums: over the whole run, and since the last log (so logs continue exactly). */
    totalLoss: lossSumSchema,
    pendingLoss: lossSumSchema,
    /** The last step's gradient norm and learning rate (the next log reports them). */
    lastGradNorm: num,
    lastLearningRate: num,
    samplesSeen: count,
    tokensSeen: count,
    /** Lines of metrics.jsonl written up to and including this checkpoint's 'save' event. */
    metricsLines: count,
    rngStates: z.record(z.string(), generatorStateSchema),
    callbacks: z.record(z.string(), z.record(z.string(), z.unknown())),
  })
  .strict();

export type SavedTrainerState = z.infer<typeof savedTrainerStateSchema>;

const schedulerStateSchema = z
  .object({ lastEpoch: count, baseLrs: z.array(z.number().nonnegative()) })
  .strict();

export interface CheckpointParts {
  model: Module;
  optimizer: { stateDict(): OptimizerStateDict };
  scheduler: { stateDict(): LRSchedulerState };
  args: Record<string, unknown>;
  state: SavedTrainerState;
  /**
   * Runs when every file is written, just before the rename commits the checkpoint (the trainer
   * records the save in metrics.jsonl here, so the line exists whenever the checkpoint does).
   */
  beforeCommit?: () => void;
}

/**
 * Stages of writing a checkpoint, reported to an observer (logging, crash tests): each file
 * written ('state': every file, and beforeCommit run), then 'renamed' once it is in place.
 */
export type CheckpointStage = 'model' | 'optimizer' | 'scheduler' | 'state' | 'renamed';
export type CheckpointObserver = (event: { step: number; stage: CheckpointStage }) => void;

let tempCounter = 0;

/** The name of step's checkpoint directory. */
export function checkpointName(step: number): string {
  return `${CHECKPOINT_PREFIX}${step}`;
}

function safetensorsDType(t: Tensor): TensorToWrite['dtype'] {
  return t.dtype === 'float64' ? 'F64' : t.dtype === 'int32' ? 'I32' : 'F32';
}

/** A module's state dict as safetensors entries (views of the live tensors: write right away). */
export function moduleTensors(model: Module): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, t] of model.stateDict({ share: true })) {
    out.set(name, { dtype: safetensorsDType(t), shape: t.shape, data: t.data });
  }
  return out;
}

/**
 * Write a checkpoint atomically: into a temporary directory, then renamed into place. An
 * existing checkpoint of the same step (a re-run after resuming from an earlier one) is replaced.
 * Returns the checkpoint's path.
 */
export async function saveCheckpoint(
  outputDir: string,
  parts: CheckpointParts,
  observer?: CheckpointObserver,
): Promise<string> {
  const step = parts.state.globalStep;
  const name = checkpointName(step);
  const final = join(outputDir, name);
  tempCounter += 1;
  const tmp = join(outputDir, `.${name}.tmp-${process.pid}-${tempCounter}`);
  const notify = (stage: CheckpointStage): void => observer?.({ step, stage });
  // An existing checkpoint of this step, moved aside while the new one is renamed in.
  let old: string | null = null;
  try {
    await fsp.mkdir(tmp, { recursive: false });
    await saveSafetensors(join(tmp, MODEL_FILE), moduleTensors(parts.model), { format: 'pt' });
    notify('model');
    await saveOptimizerState(join(tmp, OPTIMIZER_FILE), parts.optimizer);
    notify('optimizer');
    await writeFileAtomic(
      join(tmp, SCHEDULER_FILE),
      `${JSON.stringify(parts.scheduler.stateDict())}\n`,
    );
    await writeFileAtomic(
      join(tmp, TRAINING_ARGS_FILE),
      `${JSON.stringify(parts.args, null, 2)}\n`,
    );
    notify('scheduler');
    // Last: a directory with a valid trainer_state.json has every other file complete.
    await writeFileAtomic(join(tmp, TRAINER_STATE_FILE), `${JSON.stringify(parts.state)}\n`);
    parts.beforeCommit?.();
    notify('state');
    if (fs.existsSync(final)) {
      old = join(outputDir, `.${name}.old-${process.pid}-${tempCounter}`);
      await fsp.rename(final, old);
    }
    await fsp.rename(tmp, final);
    await syncDir(outputDir);
    if (old !== null) await fsp.rm(old, { recursive: true, force: true });
    notify('renamed');
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (old !== null && !fs.existsSync(final)) await fsp.rename(old, final).catch(() => undefined);
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`cannot save checkpoint ${final}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return final;
}

async function syncDir(dir: string): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    // Platforms that cannot fsync a directory: the rename is done, durability is best effort.
    if (!['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF'].includes(code)) throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A checkpoint read back and validated, not yet applied. */
export interface LoadedCheckpoint {
  dir: string;
  model: SafetensorsFile;
  optimizer: OptimizerStateDict;
  scheduler: LRSchedulerState;
  state: SavedTrainerState;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    throw new CheckpointError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new CheckpointError(`${path} is malformed:\n${lines.join('\n')}`, { cause: r.error });
}

/** The trainer state of a checkpoint directory, validated. */
export async function readTrainerState(dir: string): Promise<SavedTrainerState> {
  const path = join(dir, TRAINER_STATE_FILE);
  return validate(savedTrainerStateSchema, await readJson(path), path);
}

/** Read and validate every file of a checkpoint; nothing is applied. */
export async function readCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const state = await readTrainerState(dir);
  const schedulerPath = join(dir, SCHEDULER_FILE);
  const scheduler = validate(schedulerStateSchema, await readJson(schedulerPath), schedulerPath);
  const wrap = async <T>(path: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const optimizerFile = await wrap(optimizerPath, () => loadSafetensors(optimizerPath));
  const optimizer = optimizerStateFromSafetensors(optimizerFile, optimizerPath);
  const modelPath = join(dir, MODEL_FILE);
  const model = await wrap(modelPath, () => loadSafetensors(modelPath));
  return { dir, model, optimizer, scheduler, state };
}

/**
 * Copy a checkpoint's weights into a module (strict: every key, every shape). The values are
 * decoded to each target tensor's dtype; nothing is copied unless every tensor fits.
 */
export function loadModelTensors(model: Module, file: SafetensorsFile, source: string): void {
  const targets = model.stateDict({ share: true });
  const tensors = new Map<string, Tensor>();
  try {
    for (const [name, entry] of file.tensors) {
      const target = targets.get(name);
      const dtype = target?.dtype ?? 'float32';
      const data =
        dtype === 'int32'
          ? decodeInt32(entry)
          : dtype === 'float64'
            ? decodeFloat64(entry)
            : decodeFloat32(entry);
      tensors.set(name, new Tensor(data, entry.shape));
    }
    model.loadStateDict(tensors);
  } catch (err) {
    throw new CheckpointError(`cannot load the weights of ${source}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Load only the weights of a checkpoint directory into a module (loadBestModelAtEnd). */
export async function loadCheckpointWeights(model: Module, dir: string): Promise<void> {
  const path = join(dir, MODEL_FILE);
  let file: SafetensorsFile;
  try {
    file = await loadSafetensors(path);
  } catch (err) {
    throw new CheckpointError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  loadModelTensors(model, file, path);
}

/** `checkpoint-<step>` directories of outputDir, oldest step first. */
export function listCheckpoints(outputDir: string): { step: number; dir: string }[] {
  if (!fs.existsSync(outputDir)) return [];
  const out: { step: number; dir: string }[] = [];
  for (const entry of fs.readdirSync(outputDir, { withFileTypes: true })) {
    const m = CHECKPOINT_NAME.exec(entry.name);
    if (m && entry.isDirectory())
      out.push({ step: Number(m[1]), dir: join(outputDir, entry.name) });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** The latest checkpoint whose trainer state reads back valid, or null (HF's get_last_checkpoint). */
export async function lastCheckpoint(outputDir: string): Promise<string | null> {
  const all = listCheckpoints(outputDir);
  for (let i = all.length - 1; i >= 0; i--) {
    try {
      await readTrainerState(all[i]!.dir);
      return all[i]!.dir;
    } catch {
      // not a complete checkpoint (copied in by hand, damaged): try the one before
    }
  }
  return null;
}

/**
 * Delete the oldest checkpoints beyond `limit`; the best checkpoint is never deleted (it counts
 * as the newest), as Hugging Face's _rotate_checkpoints. Returns the deleted directories.
 */
export async function rotateCheckpoints(
  outputDir: string,
  limit: number | null,
  best: string | null,
): Promise<string[]> {
  if (limit === null) return [];
  const dirs = listCheckpoints(outputDir).map((c) => c.dir);
  const bestIndex = best === null ? -1 : dirs.indexOf(best);
  if (bestIndex >= 0) dirs.push(...dirs.splice(bestIndex, 1));
  // With one checkpoint allowed and the best one not the last, keep the last too (to resume).
  const keep = limit === 1 && bestIndex >= 0 && bestIndex !== dirs.length - 1 ? 2 : limit;
  const doomed = dirs.slice(0, Math.max(0, dirs.length - keep));
  for (const d of doomed) await fsp.rm(d, { recursive: true, force: true });
  return doomed;
}

/**
 * Clean up after processes that died while saving: their temporary directories are removed, and
 * a checkpoint moved aside to be replaced whose replacement never arrived is put back.
 */
export async function removeStaleTemps(outputDir: string): Promise<void> {
  if (!fs.existsSync(outputDir)) return;
  for (const name of fs.readdirSync(outputDir)) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[3]);
    if (pid === process.pid || isAlive(pid)) continue;
    const final = join(outputDir, m[1]!);
    if (m[2] === 'old' && !fs.existsSync(final)) await fsp.rename(join(outputDir, name), final);
    else await fsp.rm(join(outputDir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
