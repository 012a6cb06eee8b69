import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../../src/experiments/schema.js';
import { runExperiment, type RunOutcome } from '../../../src/experiments/runner.js';
import { resultsOf, summaryOf, tempDir } from '../../experiments/helpers.js';

const MODULE = fileURLToPath(
  new URL('../../../src/experiments/methods/meta-federated.ts', import.meta.url),
);

function writeConfig(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const method = (name: string, strategy: string) => `
  - name: ${name}
    kind: ftml
    totalSteps: 3
    strategy: ${strategy}
    clients: { numClients: 4, trainMin: 8, trainMax: 12, testSize: 20, labelMaps: 2 }
    model: { hidden: [4] }
    devices: { secondsPerExample: [0.001, 0.02], dropoutProb: 0.2 }
    simulation: { fraction: 0.5, minClients: 2, epochs: 2, deadline: 0.3, jitter: 0.2, skipFailedRounds: true }`;
  const text = `name: ftml-tiny
seeds: 2
env: { id: ftml-synthetic }
imports: [${JSON.stringify(MODULE)}]
methods:${method('local', '{ name: local }')}${method('fedavg', '{ name: fedavg }')}${method('fedprox', '{ name: fedprox, mu: 0.1 }')}${method('multitask', '{ name: multitask }')}
metrics: { baseline: local, gridPoints: 4, window: 1 }
`;
  const file = join(dir, 'experiment.yaml');
  writeFileSync(file, text);
  return file;
}

describe("the 'ftml' method kind through the runner", () => {
  const root = tempDir('ftml');
  let inProcess: RunOutcome;
  let workers: RunOutcome;

  beforeAll(async () => {
    const config = writeConfig(join(root, 'cfg'));
    inProcess = await runExperiment(config, { out: join(root, 'runs'), workers: 0 });
    workers = await runExperiment(config, { out: join(root, 'runs'), workers: 2 });
  }, 120_000);

  it('runs every strategy and records one curve point per client per round', () => {
    expect(inProcess).toMatchObject({ status: 'finished', ran: 8, failed: [] });
    const r = resultsOf(inProcess.runDir)['multitask/seed-0.json'] as {
      episodes: { globalStep: number; agent: string }[];
      extra: { bytesUp: number; bytesDown: number; strategy: string };
    };
    expect(r.episodes).toHaveLength(4 * 4);
    expect(new Set(r.episodes.map((e) => e.agent))).toEqual(
      new Set(['client_0', 'client_1', 'client_2', 'client_3']),
    );
    expect(r.extra.strategy).toBe('multitask');
    const local = resultsOf(inProcess.runDir)['local/seed-0.json'] as {
      extra: { bytesUp: number; bytesDown: number };
    };
    expect(local.extra.bytesDown).toBe(0);
    expect(local.extra.bytesUp).toBe(0);
    expect(inProcess.plots).toContain('plots/fedavg-communication.svg');
  });

  it('gives identical results in worker threads and in process (deterministic seeds)', () => {
    expect(resultsOf(workers.runDir)).toEqual(resultsOf(inProcess.runDir));
    expect(summaryOf(workers.runDir)).toEqual(summaryOf(inProcess.runDir));
  });

  it('logs each round with its traffic, failures and exclusions', () => {
    const lines = readFileSync(join(inProcess.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const rounds = lines.filter(
      (l) => l.event === 'round' && l.method === 'fedavg' && l.seed === 0,
    );
    expect(rounds.map((l) => l.globalStep)).toEqual([1, 2, 3]);
    for (const r of rounds) {
      expect(r.bytesDown).toBeGreaterThan(0);
      expect(Array.isArray(r.failures)).toBe(true);
    }
  });

  it('checks the strategy and its options when the config is validated', async () => {
    const cfg = writeConfig(join(root, 'bad'));
    const text = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, text.replace('{ name: fedprox, mu: 0.1 }', '{ name: fedprox, mu: -1 }'));
    await expect(loadExperiment(cfg)).rejects.toThrow(/methods\[2\]\.strategy.*mu/);
    writeFileSync(cfg, text.replace('{ name: fedavg }', '{ name: scaffold }'));
    await expect(loadExperiment(cfg)).rejects.toThrow(/unknown strategy 'scaffold'/);
    writeFileSync(cfg, text.replace('epochs: 2,', 'epochs: 2, rounds: 4,'));
    await expect(loadExperiment(cfg)).rejects.toThrow(/simulation\.rounds: unknown key/);
  });
});
