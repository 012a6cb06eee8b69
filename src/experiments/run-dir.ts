/**
 * The layout of one run folder and its files:
 *
 *   runs/<id>/config.resolved.yaml    the config with every default filled in
 *   runs/<id>/run.json                id, name, config hash, status, times, git commit, modules
 *   runs/<id>/metrics.jsonl           one JSON line per episode / event, appended durably
 *   runs/<id>/results/<method>/seed-<n>.json   a finished job (its presence means "done")
 *   runs/<id>/checkpoints/<method>/seed-<n>/   what the job saved
 *   runs/<id>/summary.json            transfer metrics per method against the baseline
 *   runs/<id>/plots/*.svg             learning curves with confidence bands, method series
 *
 * Everything but metrics.jsonl is written atomically, and readers validate what they read.
 */
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CheckpointError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';

export const RUN_FILE = 'run.json';
export const CONFIG_FILE = 'config.resolved.yaml';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';

export function resultPath(runDir: string, method: string, seed: number): string {
  return join(runDir, 'results', method, `seed-${seed}.json`);
}

export function checkpointPath(runDir: string, method: string, seed: number): string {
  return join(runDir, 'checkpoints', method, `seed-${seed}`);
}

export const runStatus = z.enum(['running', 'finished', 'failed']);
export type RunStatus = z.infer<typeof runStatus>;

export const runInfoSchema = z
  .object({
    format: z.literal('osmosis-run'),
    version: z.literal(1),
    id: z.string(),
    name: z.string(),
    configHash: z.string(),
    status: runStatus,
    createdAt: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    gitCommit: z.string().nullable(),
    /** Modules imported before validating (--import), needed again on resume. */
    modules: z.array(z.string()),
    /** Times the run was started (1 + resumes). */
    attempts: z.number().int().positive(),
    jobs: z.array(
      z
        .object({
          method: z.string(),
          seed: z.number().int(),
          status: z.enum(['pending', 'finished', 'failed']),
          seconds: z.number().nullable(),
          error: z.string().nullable(),
        })
        .strict(),
    ),
  })
  .strict();
export type RunInfo = z.infer<typeof runInfoSchema>;

const episodeSchema = z
  .object({
    globalStep: z.number(),
    episodicReturn: z.number(),
    episodicLength: z.number(),
    agent: z.string().optional(),
  })
  .strict();

export const jobResultSchema = z
  .object({
    format: z.literal('osmosis-job-result'),
    version: z.literal(1),
    method: z.string(),
    kind: z.string(),
    seed: z.number().int(),
    episodes: z.array(episodeSchema),
    /** Relative to the run folder. */
    checkpointDir: z.string().nullable(),
    extra: z.record(z.string(), z.unknown()),
    seconds: z.number(),
    /** The kernel backend the job ran on (absent in results written before it was recorded). */
    backend: z
      .object({
        name: z.enum(['js', 'wasm', 'blas']),
        threads: z.number().int().positive(),
        /** The wasm kernel build (absent before builds were recorded, and for js and blas). */
        simd: z.enum(['relaxed', 'baseline']).optional(),
      })
      .strict()
      .optional(),
    finishedAt: z.string(),
  })
  .strict();
export type JobResult = z.infer<typeof jobResultSchema>;

async function readJson<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CheckpointError(`cannot read ${what} ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(`${what} ${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CheckpointError(
      `${what} ${path} is malformed at ${first.path.join('.') || '(root)'}: ${first.message}`,
    );
  }
  return parsed.data;
}

export function readRunInfo(runDir: string): Promise<RunInfo> {
  return readJson(join(runDir, RUN_FILE), runInfoSchema, 'run file');
}

export async function writeRunInfo(runDir: string, info: RunInfo): Promise<void> {
  await writeFileAtomic(join(runDir, RUN_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

export function readJobResult(path: string): Promise<JobResult> {
  return readJson(path, jobResultSchema, 'job result');
}

/** The finished job's result, or null when the job has not finished (no result file). */
export async function tryReadJobResult(
  runDir: string,
  method: string,
  seed: number,
): Promise<JobResult | null> {
  const path = resultPath(runDir, method, seed);
  if (!fs.existsSync(path)) return null;
  return readJobResult(path);
}

export async function writeJobResult(runDir: string, result: JobResult): Promise<void> {
  const path = resultPath(runDir, result.method, result.seed);
  fs.mkdirSync(join(runDir, 'results', result.method), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(result)}\n`);
}

/**
 * Append-only JSON-lines log. Lines are buffered and flushed (written and fdatasynced) every
 * `intervalMs` and whenever {@link flush} is called; the runner flushes before writing a job's
 * result file, so a finished job always has all its lines on disk.
 */
export class MetricsLog {
  private fd: number;
  private buffer: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    private readonly intervalMs = 250,
  ) {
    // A process killed mid-write can leave a torn last line: cut it off before appending.
    if (fs.existsSync(path)) {
      const data = fs.readFileSync(path);
      const end = data.lastIndexOf(0x0a) + 1;
      if (end < data.length) fs.truncateSync(path, end);
    }
    this.fd = fs.openSync(path, 'a');
  }

  append(record: Record<string, unknown>): void {
    this.buffer.push(`${JSON.stringify(record)}\n`);
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0 || this.fd < 0) return;
    const data = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    for (let done = 0; done < data.length;) done += fs.writeSync(this.fd, data, done);
    fs.fdatasyncSync(this.fd);
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Lines of metrics.jsonl; a torn last line (process killed mid-write) is skipped. */
export async function readMetricsLog(runDir: string): Promise<Record<string, unknown>[]> {
  const path = join(runDir, METRICS_FILE);
  if (!fs.existsSync(path)) return [];
  const lines = (await readFile(path, 'utf8')).split('\n');
  const out: Record<string, unknown>[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch (err) {
      if (i === lines.length - 1) continue;
      throw new CheckpointError(`${path}: line ${i + 1} is not valid JSON`, { cause: err });
    }
  }
  return out;
}
