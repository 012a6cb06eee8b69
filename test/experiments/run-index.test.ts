import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/core/errors.js';
import type { RunInfo } from '../../src/experiments/run-dir.js';
import { MIGRATIONS, RunIndex } from '../../src/experiments/run-index.js';
import { tempDir } from './helpers.js';

const info = (id: string, status: RunInfo['status'] = 'running'): RunInfo => ({
  format: 'osmosis-run',
  version: 1,
  id,
  name: 'exp',
  configHash: 'abc',
  status,
  createdAt: `2026-01-01T00:00:0${id.length % 10}Z`,
  startedAt: '2026-01-01T00:00:00Z',
  finishedAt: null,
  gitCommit: null,
  modules: [],
  attempts: 1,
  jobs: [],
});

describe('run index', () => {
  it('migrates a new index to the latest user_version, once', () => {
    const path = join(tempDir('index'), 'index.sqlite');
    const ix = RunIndex.open(path);
    expect(ix.schemaVersion).toBe(MIGRATIONS.length);
    ix.upsertRun(info('r1'), '/runs/r1');
    ix.close();
    const again = RunIndex.open(path); // nothing to migrate, data kept
    expect(again.listRuns().map((r) => r.id)).toEqual(['r1']);
    again.close();
  });

  it('upgrades a version-1 index in place', () => {
    const path = join(tempDir('index'), 'index.sqlite');
    const db = new Database(path);
    db.exec(MIGRATIONS[0]);
    db.pragma('user_version = 1');
    db.prepare(
      `INSERT INTO runs (id, name, config_hash, run_dir, status, created_at, started_at) VALUES ('old', 'exp', 'h', '/r', 'finished', 't', 't')`,
    ).run();
    db.close();
    const ix = RunIndex.open(path);
    expect(ix.schemaVersion).toBe(MIGRATIONS.length);
    expect(ix.getRun('old')).toMatchObject({ id: 'old', attempts: 1, status: 'finished' });
    ix.close();
  });

  it('refuses an index from a newer version', () => {
    const path = join(tempDir('index'), 'index.sqlite');
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => RunIndex.open(path)).toThrow(CheckpointError);
    expect(() => RunIndex.open(path)).toThrow(/newer than this Osmosis knows/);
  });

  it('upserts runs, jobs and metrics', () => {
    const ix = RunIndex.open(join(tempDir('index'), 'index.sqlite'));
    ix.upsertRun(info('a'), '/runs/a');
    ix.upsertRun({ ...info('a', 'finished'), finishedAt: 'later', attempts: 2 }, '/runs/a');
    ix.upsertJob('a', { method: 'm', seed: 0, status: 'failed', seconds: null, error: 'boom' });
    ix.upsertJob('a', { method: 'm', seed: 0, status: 'finished', seconds: 1.5, error: null });
    ix.replaceMetrics('a', [
      { method: 'm', metric: 'auc_ratio', mean: 0.1, lower: 0, upper: 0.2, n: 3, baseline: 's' },
    ]);
    ix.replaceMetrics('a', [
      { method: 'm', metric: 'jumpstart', mean: 1, lower: null, upper: null, n: 1, baseline: 's' },
    ]);
    expect(ix.getRun('a')).toMatchObject({ status: 'finished', finishedAt: 'later', attempts: 2 });
    expect(ix.jobs('a')).toEqual([
      { method: 'm', seed: 0, status: 'finished', seconds: 1.5, error: null },
    ]);
    expect(ix.metrics('a').map((m) => m.metric)).toEqual(['jumpstart']);
    expect(ix.getRun('zzz')).toBeNull();
    ix.close();
  });
});
