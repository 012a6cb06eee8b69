import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../../src/experiments/index.js';
import { loadRunReport, renderMarkdown } from '../../../src/experiments/report.js';
import { loadDQN } from '../../../src/rl/algos/dqn.js';
import { loadA2TValueAgent } from '../../../src/transfer/a2t/index.js';
import { tempDir } from './helpers.js';

const TRANSFER = fileURLToPath(
  new URL('../../../src/experiments/methods/transfer.ts', import.meta.url),
);
const DQN =
  '{ learningStarts: 100, trainFrequency: 10, gradientSteps: 1, batchSize: 16, hidden: [8], targetUpdateInterval: 50 }';

describe('a2t with algo dqn (value transfer, a distillation student) through the runner', () => {
  it('runs beside scratch, finetune and a DQN distillation student, logs attention, saves loadable agents', async () => {
    const dir = tempDir('a2t-dqn-run');
    const file = join(dir, 'experiment.yaml');
    writeFileSync(
      file,
      `name: a2t-dqn-smoke
seeds: 1
env: { id: CartPole-v1, options: { masspole: 0.5, length: 1.0 } }
imports: [${JSON.stringify(TRANSFER)}]
source: { name: upright, env: { id: CartPole-v1 }, algo: dqn, totalSteps: 400, hyperparams: ${DQN}, evaluation: { every: 200, episodes: 2 } }
methods:
  - { name: scratch, kind: scratch, algo: dqn, totalSteps: 400, hyperparams: ${DQN} }
  - { name: finetune, kind: finetune, algo: dqn, totalSteps: 400, hyperparams: ${DQN} }
  - name: a2t
    kind: a2t
    variant: attention
    algo: dqn
    totalSteps: 400
    hyperparams: ${DQN}
    sources:
      - { source: upright }
      - { source: upright, name: inverted, actionMap: { kind: permutation, order: [1, 0] } }
  - { name: distill, kind: a2t, variant: distillation, algo: dqn, totalSteps: 400, hyperparams: ${DQN}, states: source, bufferSize: 64 }
  - { name: wrong, kind: distill, algo: dqn, totalSteps: 400, hyperparams: ${DQN} }
metrics: { threshold: 30, gridPoints: 10, window: 2 }
`,
    );
    const out = await runExperiment(file, { out: join(dir, 'runs'), workers: 0 });
    expect(out.failed.map((f) => f.method)).toEqual(['wrong']);
    // The buffer's default, target-env states, cannot be charged to a DQN student.
    expect(out.failed[0].error).toMatch(/states 'target' .* use states: source/);
    const methods = out.summary!.methods.filter((m) => m.name !== 'wrong');
    expect(methods.map((m) => m.name)).toEqual(['scratch', 'finetune', 'a2t', 'distill']);
    for (const m of methods.slice(1)) expect(m.transfer).not.toBeNull();
    expect(out.plots).toContain('plots/a2t-attention.svg');
    const lines = readFileSync(join(out.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.filter((e) => e.event === 'attention' && e.method === 'a2t');
    // A training phase after 110, 120, ..., 400 stored transitions (SB3 counting).
    expect(events.length).toBe(30);
    const w = events[0].weights as Record<string, number>;
    expect(Object.keys(w)).toEqual(['upright', 'inverted', 'base']);
    const agent = await loadA2TValueAgent(join(out.runDir, 'checkpoints', 'a2t', 'seed-0'));
    expect(agent.network.components).toEqual(['upright', 'inverted', 'base']);
    expect(agent.hyperparams.hidden).toEqual([8]);
    // The student: one distillation event per training phase, linearly decaying from 20.
    const distill = lines.filter((e) => e.event === 'distillation' && e.method === 'distill');
    expect(distill.length).toBe(30);
    expect(distill[0]).toMatchObject({ globalStep: 110, weight: 20 * (1 - 110 / 400) });
    expect(out.plots).toContain('plots/distill-distillation-weight.svg');
    const student = await loadDQN(join(out.runDir, 'checkpoints', 'distill', 'seed-0'));
    expect(student.hyperparams.hidden).toEqual([8]);

    // The source pretrained with periodic evaluation: its report reaches the summary, the
    // 'source-trained' event and the report page; 400 steps do not solve CartPole.
    const [source] = out.summary!.sources!;
    expect(source).toMatchObject({ name: 'upright', algo: 'dqn', seed: 0, selected: 'best' });
    expect(source.evaluations.map((e) => e.globalStep)).toEqual([200, 400]);
    expect(source).toMatchObject({ threshold: 475, solved: false });
    expect(out.summary!.warnings).toContain(
      `source 'upright' (seed 0) does not solve its own task: ${source.check.selected.meanReturn} < 475 over 100 episodes`,
    );
    const trained = lines.filter((e) => e.event === 'source-trained');
    expect(trained).toHaveLength(1);
    expect(trained[0]).toMatchObject({
      source: 'upright',
      selected: 'best',
      bestStep: source.bestStep,
      checkReturn: source.check.selected.meanReturn,
      solved: false,
    });
    const page = renderMarkdown(await loadRunReport(out.runDir), out.runDir);
    expect(page).toMatch(
      /## Sources\n\n- source upright \(dqn, 400 steps on CartPole-v1, seed 0\): kept the best of 2 periodic evaluations \(2 episodes every 200 steps\), at step \d+; over 100 deterministic episodes of its own task it returns [\d.]+ ± [\d.]+ \(final weights: [\d.]+ ± [\d.]+\); does not solve it \(threshold 475\)/,
    );
  });
});
