import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandIO } from '../../src/cli/io.js';

export const FAKE_METHOD = fileURLToPath(new URL('./fixtures/fake-method.ts', import.meta.url));

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `osmosis-${prefix}-`));
}

export interface FakeConfigOptions {
  seeds?: number;
  totalSteps?: number;
  delayMs?: number;
  failSeeds?: number[];
  extra?: string;
}

/** Three fake methods: a baseline, a helpful transfer, and a harmful one (negative transfer). */
export function writeFakeConfig(dir: string, o: FakeConfigOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const steps = o.totalSteps ?? 1000;
  const delay = o.delayMs ?? 0;
  const text = `name: fake-transfer
description: synthetic curves for the runner tests
seeds: ${o.seeds ?? 3}
env: { id: Fake-v0 }
imports: [${JSON.stringify(FAKE_METHOD)}]
methods:
  - name: scratch
    kind: fake
    totalSteps: ${steps}
    delayMs: ${delay}
    curve: { start: 0, end: 100, tau: 400 }
  - name: helpful
    kind: fake
    totalSteps: ${steps}
    delayMs: ${delay}
    series: true
    curve: { start: 40, end: 100, tau: 200 }
    failSeeds: ${JSON.stringify(o.failSeeds ?? [])}
  - name: harmful
    kind: fake
    totalSteps: ${steps}
    delayMs: ${delay}
    curve: { start: -20, end: 50, tau: 400 }
metrics:
  baseline: scratch
  threshold: 60
  window: 5
  gridPoints: 50
${o.extra ?? ''}`;
  const file = join(dir, 'experiment.yaml');
  writeFileSync(file, text);
  return file;
}

export function collectIO(): CommandIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
    out: () => out,
    err: () => err,
  };
}

/** Result files of a run, keyed `<method>/seed-<n>`, without their timing and backend fields. */
export function resultsOf(runDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const root = join(runDir, 'results');
  for (const method of readdirSync(root).sort()) {
    for (const f of readdirSync(join(root, method)).sort()) {
      const r = JSON.parse(readFileSync(join(root, method, f), 'utf8')) as Record<string, unknown>;
      delete r.seconds;
      delete r.finishedAt;
      delete r.backend;
      out[`${method}/${f}`] = r;
    }
  }
  return out;
}

export function summaryOf(runDir: string): Record<string, unknown> {
  const s = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  delete s.id;
  return s;
}
