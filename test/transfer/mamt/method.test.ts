import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadExperiment } from '../../../src/experiments/schema.js';
import { runExperiment, type RunOutcome } from '../../../src/experiments/runner.js';
import { loadSafetensors } from '../../../src/core/index.js';
import { resultsOf, tempDir } from '../../experiments/helpers.js';

const MODULE = fileURLToPath(
  new URL('../../../src/experiments/methods/meta-federated.ts', import.meta.url),
);

function writeConfig(dir: string, extra = ''): string {
  mkdirSync(dir, { recursive: true });
  const method = (name: string, meta: string, more = '') => `
  - name: ${name}
    kind: mamt
    meta: ${meta}
    totalSteps: 150
    family: { vary: { forceMag: { ranges: [[-12, -8], [8, 12]] } } }
    inner: { steps: 1, lr: 0.5, episodes: 2 }
    outer: { metaBatch: 2, lr: 0.01${more} }
    adaptation: { trials: 1 }
    policy: { hidden: [8] }
    horizon: 15`;
  const text = `name: mamt-tiny
seeds: 2
env: { id: CartPole-v1, options: { forceMag: -10 } }
imports: [${JSON.stringify(MODULE)}]
methods:${method('scratch', 'none')}${method('joint', 'joint')}${method('fomaml', 'fomaml')}${method('reptile', 'reptile', ', innerSteps: 2')}${method('anil', 'anil')}
metrics: { baseline: scratch, gridPoints: 2, window: 1 }
${extra}`;
  const file = join(dir, 'experiment.yaml');
  writeFileSync(file, text);
  return file;
}

describe("the 'mamt' method kind through the runner", () => {
  const root = tempDir('mamt');
  let a: RunOutcome;
  let b: RunOutcome;

  beforeAll(async () => {
    const config = writeConfig(join(root, 'cfg'));
    a = await runExperiment(config, { out: join(root, 'runs'), workers: 0 });
    b = await runExperiment(config, { out: join(root, 'runs'), workers: 0 });
  }, 120_000);

  it('runs every init kind and summarises the adaptation curves', () => {
    expect(a).toMatchObject({ status: 'finished', ran: 10, failed: [] });
    const names = a.summary!.methods.map((m) => m.name);
    expect(names).toEqual(['scratch', 'joint', 'fomaml', 'reptile', 'anil']);
    expect(a.summary!.grid).toEqual({ start: 0, end: 1, points: 2 });
    for (const m of a.summary!.methods.slice(1)) expect(m.transfer).not.toBeNull();
    expect(a.plots).toContain('plots/fomaml-meta-training.svg');
  });

  it('is deterministic: a rerun gives identical results', () => {
    expect(resultsOf(b.runDir)).toEqual(resultsOf(a.runDir));
  });

  it('saves the initialisation and logs meta-iterations', async () => {
    const ckpt = join(a.runDir, 'checkpoints', 'fomaml', 'seed-0');
    expect(existsSync(join(ckpt, 'mamt.json'))).toBe(true);
    const st = await loadSafetensors(join(ckpt, 'init.safetensors'));
    expect([...st.tensors.keys()].sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(st.metadata.format).toBe('osmosis-mamt');
    const lines = readFileSync(join(a.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const its = lines.filter((l) => l.event === 'meta-iteration' && l.method === 'fomaml');
    expect(its.length).toBeGreaterThan(0);
    expect(its[0]).toMatchObject({ iteration: 0 });
  });

  it('validates its fields strictly', async () => {
    const dir = join(root, 'bad');
    const cfg = writeConfig(dir);
    const text = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, text.replace('meta: fomaml', 'meta: maml2'));
    await expect(loadExperiment(cfg)).rejects.toThrow(/methods\[2\]\.meta/);
    writeFileSync(
      cfg,
      text.replace(
        'horizon: 15\n  - name: joint',
        'horizon: 15\n    hyperparams: { lr: 1 }\n  - name: joint',
      ),
    );
    await expect(loadExperiment(cfg)).rejects.toThrow(/methods\[0\]\.hyperparams\.lr: unknown key/);
  });
});
