/**
 * The run index: runs/index.sqlite (better-sqlite3) lists every run, its jobs and its key summary
 * metrics, for `osmosis runs list/show/compare`. The run folders stay the source of truth; the
 * index can be rebuilt from them. Schema changes are migrations numbered by `PRAGMA user_version`:
 * each runs once, in order, inside a transaction.
 */
import Database from 'better-sqlite3';
import { CheckpointError } from '../core/errors.js';
import type { Estimate } from '../metrics/index.js';
import type { RunInfo } from './run-dir.js';
import type { RunSummary } from './summary.js';

/** Migration i takes the schema from version i to i + 1. Append only; never edit a shipped one. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     config_hash TEXT NOT NULL,
     run_dir TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     started_at TEXT NOT NULL,
     finished_at TEXT,
     git_commit TEXT
   );
   CREATE TABLE jobs (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     method TEXT NOT NULL,
     seed INTEGER NOT NULL,
     status TEXT NOT NULL,
     seconds REAL,
     error TEXT,
     PRIMARY KEY (run_id, method, seed)
   );
   CREATE TABLE metrics (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
     method TEXT NOT NULL,
     metric TEXT NOT NULL,
     mean REAL,
     lower REAL,
     upper REAL,
     n INTEGER,
     PRIMARY KEY (run_id, method, metric)
   );`,
  `ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE metrics ADD COLUMN baseline TEXT;
   CREATE INDEX runs_by_name ON runs(name, created_at);`,
];

export interface RunRow {
  id: string;
  name: string;
  configHash: string;
  runDir: string;
  status: string;
  createdAt: string;
  startedAt: string;
  finishedAt: string | null;
  gitCommit: string | null;
  attempts: number;
}

export interface JobRow {
  method: string;
  seed: number;
  status: string;
  seconds: number | null;
  error: string | null;
}

export interface MetricRow {
  method: string;
  metric: string;
  mean: number | null;
  lower: number | null;
  upper: number | null;
  n: number | null;
  baseline: string | null;
}

/** The metrics `runs compare` shows, in order, with a label each. */
export const KEY_METRICS: readonly { metric: string; label: string }[] = [
  { metric: 'final_return', label: 'final return' },
  { metric: 'jumpstart', label: 'jumpstart' },
  { metric: 'asymptotic', label: 'asymptotic Δ' },
  { metric: 'auc_ratio', label: 'AUC ratio' },
  { metric: 'ttt_ratio', label: 'time-to-threshold ratio' },
];

export function summaryMetricRows(summary: RunSummary): MetricRow[] {
  const rows: MetricRow[] = [];
  const add = (method: string, metric: string, e: Estimate | null | undefined): void => {
    if (!e) return;
    rows.push({
      method,
      metric,
      mean: e.mean,
      lower: e.lower,
      upper: e.upper,
      n: e.n,
      baseline: metric === 'final_return' ? null : summary.baseline,
    });
  };
  for (const m of summary.methods) {
    add(m.name, 'final_return', m.finalReturn);
    add(m.name, 'jumpstart', m.transfer?.jumpstart);
    add(m.name, 'asymptotic', m.transfer?.asymptotic);
    add(m.name, 'auc_ratio', m.transfer?.aucRatio);
    add(m.name, 'ttt_ratio', m.transfer?.timeToThreshold?.ratio);
  }
  return rows;
}

export class RunIndex {
  private constructor(private readonly db: Database.Database) {}

  /** Open (creating it if needed) and migrate the index at `path`. */
  static open(path: string): RunIndex {
    let db: Database.Database;
    try {
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    } catch (err) {
      throw new CheckpointError(`cannot open the run index ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const index = new RunIndex(db);
    try {
      index.migrate(path);
    } catch (err) {
      db.close();
      throw err;
    }
    return index;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(path: string): void {
    const version = this.schemaVersion;
    if (version > MIGRATIONS.length) {
      throw new CheckpointError(
        `the run index ${path} has schema version ${version}, newer than this Osmosis knows (${MIGRATIONS.length}); upgrade Osmosis`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      // Each migration with its version bump is one transaction: a crash leaves v or v + 1.
      this.db
        .transaction(() => {
          this.db.exec(MIGRATIONS[v]);
          this.db.pragma(`user_version = ${v + 1}`);
        })
        .immediate();
    }
  }

  upsertRun(info: RunInfo, runDir: string): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, name, config_hash, run_dir, status, created_at, started_at, finished_at, git_commit, attempts)
         VALUES (@id, @name, @configHash, @runDir, @status, @createdAt, @startedAt, @finishedAt, @gitCommit, @attempts)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at,
           finished_at = excluded.finished_at, run_dir = excluded.run_dir, attempts = excluded.attempts`,
      )
      .run({
        id: info.id,
        name: info.name,
        configHash: info.configHash,
        runDir,
        status: info.status,
        createdAt: info.createdAt,
        startedAt: info.startedAt,
        finishedAt: info.finishedAt,
        gitCommit: info.gitCommit,
        attempts: info.attempts,
      });
  }

  upsertJob(runId: string, job: JobRow): void {
    this.db
      .prepare(
        `INSERT INTO jobs (run_id, method, seed, status, seconds, error)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(run_id, method, seed) DO UPDATE SET status = excluded.status,
           seconds = excluded.seconds, error = excluded.error`,
      )
      .run(runId, job.method, job.seed, job.status, job.seconds, job.error);
  }

  replaceMetrics(runId: string, rows: readonly MetricRow[]): void {
    const del = this.db.prepare('DELETE FROM metrics WHERE run_id = ?');
    const ins = this.db.prepare(
      `INSERT INTO metrics (run_id, method, metric, mean, lower, upper, n, baseline)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      del.run(runId);
      for (const r of rows)
        ins.run(runId, r.method, r.metric, r.mean, r.lower, r.upper, r.n, r.baseline);
    })();
  }

  listRuns(): RunRow[] {
    return this.db
      .prepare(
        `SELECT id, name, config_hash AS configHash, run_dir AS runDir, status, created_at AS createdAt,
           started_at AS startedAt, finished_at AS finishedAt, git_commit AS gitCommit, attempts
         FROM runs ORDER BY created_at, id`,
      )
      .all() as RunRow[];
  }

  getRun(id: string): RunRow | null {
    const row = this.db
      .prepare(
        `SELECT id, name, config_hash AS configHash, run_dir AS runDir, status, created_at AS createdAt,
           started_at AS startedAt, finished_at AS finishedAt, git_commit AS gitCommit, attempts
         FROM runs WHERE id = ?`,
      )
      .get(id) as RunRow | undefined;
    return row ?? null;
  }

  jobs(runId: string): JobRow[] {
    return this.db
      .prepare(
        'SELECT method, seed, status, seconds, error FROM jobs WHERE run_id = ? ORDER BY method, seed',
      )
      .all(runId) as JobRow[];
  }

  metrics(runId: string): MetricRow[] {
    return this.db
      .prepare(
        'SELECT method, metric, mean, lower, upper, n, baseline FROM metrics WHERE run_id = ? ORDER BY rowid',
      )
      .all(runId) as MetricRow[];
  }

  close(): void {
    this.db.close();
  }
}
