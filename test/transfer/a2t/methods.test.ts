import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ExperimentConfigError,
  loadExperiment,
  runExperiment,
  type RunOutcome,
} from '../../../src/experiments/index.js';
import { loadPpoAgent } from '../../../src/rl/algos/ppo.js';
import { loadA2TAgent } from '../../../src/transfer/a2t/agent.js';
import { tempDir } from './helpers.js';

const TRANSFER = fileURLToPath(
  new URL('../../../src/experiments/methods/transfer.ts', import.meta.url),
);
const PPO = '{ numEnvs: 2, numSteps: 32, updateEpochs: 2, numMinibatches: 1, hidden: [8] }';

const SOURCE = `source:
  name: upright
  env: { id: CartPole-v1 }
  algo: ppo
  totalSteps: 256
  hyperparams: ${PPO}`;

function config(dir: string, methods: string, source = SOURCE): string {
  const file = join(dir, 'experiment.yaml');
  writeFileSync(
    file,
    `name: transfer-smoke
seeds: 2
env: { id: CartPole-v1, options: { masspole: 0.5, length: 1.0 } }
imports: [${JSON.stringify(TRANSFER)}]
${source}
methods:
  - { name: scratch, kind: scratch, algo: ppo, totalSteps: 512, hyperparams: ${PPO} }
${methods}
metrics: { threshold: 30, gridPoints: 20, window: 3 }
`,
  );
  return file;
}

describe('transfer method kinds through the runner', () => {
  let outcome: RunOutcome;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('transfer-run');
    const file = config(
      dir,
      `  - { name: finetune, kind: finetune, algo: ppo, totalSteps: 512, hyperparams: ${PPO} }
  - name: a2t-attention
    kind: a2t
    variant: attention
    totalSteps: 512
    hyperparams: ${PPO}
    sources:
      - { source: upright }
      - { source: upright, name: inverted, actionMap: { kind: permutation, order: [1, 0] } }
  - name: a2t-distill
    kind: a2t
    variant: distillation
    totalSteps: 512
    hyperparams: ${PPO}
    bufferSize: 64
    weight: { kind: exponential, halfLife: 128 }
  - { name: distill-mse, kind: distill, totalSteps: 512, hyperparams: ${PPO}, loss: mse, states: source, bufferSize: 64, sourceSeed: 7 }`,
    );
    outcome = await runExperiment(file, { out: join(dir, 'runs'), workers: 2 });
  });

  it('runs every job and compares each method with scratch', () => {
    expect(outcome.failed).toEqual([]);
    expect(outcome.status).toBe('finished');
    const names = outcome.summary!.methods.map((m) => m.name);
    expect(names).toEqual(['scratch', 'finetune', 'a2t-attention', 'a2t-distill', 'distill-mse']);
    for (const m of outcome.summary!.methods.slice(1)) expect(m.transfer).not.toBeNull();
  });

  it('trains each source once per seed (sourceSeed 7 once), shared by the methods', () => {
    const cached = readdirSync(join(outcome.runDir, 'checkpoints', '_sources')).filter(
      (f) => !f.endsWith('.lock'),
    );
    expect(cached.length).toBe(3);
    const events = readFileSync(join(outcome.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.event === 'source-trained').length).toBe(3);
    const attention = events.filter((e) => e.event === 'attention' && e.method === 'a2t-attention');
    expect(attention.length).toBe(2 * 8);
    const w = attention[0].weights as Record<string, number>;
    expect(Object.keys(w)).toEqual(['upright', 'inverted', 'base']);
    expect(w.upright + w.inverted + w.base).toBeCloseTo(1, 5);
    expect(events.some((e) => e.event === 'distillation' && e.method === 'a2t-distill')).toBe(true);
  });

  it('plots the attention weights over time and saves loadable agents', async () => {
    expect(outcome.plots).toContain('plots/a2t-attention-attention.svg');
    expect(outcome.plots).toContain('plots/a2t-distill-distillation-weight.svg');
    const svg = readFileSync(join(outcome.runDir, 'plots', 'a2t-attention-attention.svg'), 'utf8');
    expect(svg).toContain('inverted');
    const a2t = await loadA2TAgent(join(outcome.runDir, 'checkpoints', 'a2t-attention', 'seed-0'));
    expect(a2t.policy.components).toEqual(['upright', 'inverted', 'base']);
    const ft = await loadPpoAgent(join(outcome.runDir, 'checkpoints', 'finetune', 'seed-1'));
    expect(ft.envOptions).toEqual({ masspole: 0.5, length: 1.0 });
  });

  it("validates the kinds' fields when the config loads", async () => {
    const bad = config(
      tempDir('transfer-bad'),
      `  - { name: a, kind: a2t, totalSteps: 512 }
  - { name: b, kind: a2t, variant: attention, algo: reinforce, totalSteps: 512 }
  - { name: c, kind: distill, totalSteps: 512, weight: { kind: cosine } }
  - { name: d, kind: finetune, totalSteps: 512 }
  - { name: e, kind: a2t, variant: attention, totalSteps: 512, sources: [{ source: upright, actionMap: { kind: pad, x: 1 } }] }`,
    );
    const err = await loadExperiment(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExperimentConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/methods\[1\]\.variant/);
    expect(msg).toMatch(/methods\[2\]\.algo/);
    expect(msg).toMatch(/methods\[3\]\.weight/);
    expect(msg).toMatch(/methods\[4\]\.algo: missing/);
    expect(msg).toMatch(/methods\[5\]\.sources\[0\]\.actionMap\.x: unknown key/);
  });

  it('a job with fields of the other variant, or a space mismatch, fails with a clear error', async () => {
    const d = tempDir('transfer-fail');
    const file = config(
      d,
      `  - { name: mixed, kind: a2t, variant: attention, totalSteps: 512, hyperparams: ${PPO}, loss: mse }
  - name: finetune-acrobot
    kind: finetune
    algo: ppo
    totalSteps: 512
    hyperparams: ${PPO}
    source: other`,
      `source:
  - { name: upright, env: { id: CartPole-v1 }, algo: ppo, totalSteps: 256, hyperparams: ${PPO} }
  - { name: other, env: { id: Acrobot-v1 }, algo: ppo, totalSteps: 64, hyperparams: ${PPO} }`,
    );
    const out = await runExperiment(file, { out: join(d, 'runs'), workers: 0, seeds: 1 });
    const errors = Object.fromEntries(out.failed.map((f) => [f.method, f.error]));
    expect(errors.mixed).toMatch(/'loss' belongs to the other variant of a2t, not 'attention'/);
    expect(errors['finetune-acrobot']).toMatch(/ConfigError: ppo: initialCheckpoint .* has spaces/);
  });
});
