import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError } from '../../../src/core/index.js';
import { PpoAgent } from '../../../src/rl/algos/ppo.js';
import {
  experimentSources,
  findSource,
  obtainSource,
  obtainSources,
  sourceCacheRoot,
} from '../../../src/transfer/a2t/sources.js';
import { readSourceReports, type SourceReport } from '../../../src/transfer/a2t/source-report.js';
import { evaluateAgent } from '../../../src/rl/algos/common/index.js';
import { BANDIT, banditAgent, tempDir } from './helpers.js';

const spec = {
  name: 'tiny',
  env: { id: BANDIT },
  algo: 'ppo',
  totalSteps: 64,
  hyperparams: { numEnvs: 2, numSteps: 16, updateEpochs: 1, hidden: [4] },
};
const experiment = { env: { id: BANDIT, options: {} }, source: spec };

function weights(a: unknown): number[] {
  return [...(a as PpoAgent).actor.stateDict().values()].flatMap((t) => Array.from(t.data));
}

describe('transfer sources', () => {
  it('names, finds and locates sources', () => {
    expect(experimentSources(experiment).map((s) => s.name)).toEqual(['tiny']);
    const two = { env: experiment.env, source: [{ algo: 'ppo' }, { name: 'b', algo: 'dqn' }] };
    expect(experimentSources(two).map((s) => s.name)).toEqual(['source-0', 'b']);
    expect(() => findSource(two, undefined, 'm')).toThrow(
      /2 sources \(source-0, b\); name the one/,
    );
    expect(() => findSource(two, 'c', 'm')).toThrow(/no source named 'c'; sources: source-0, b/);
    expect(() => findSource({ env: experiment.env }, undefined, 'm')).toThrow(ConfigError);
    expect(sourceCacheRoot('/r/run-1/checkpoints/a2t/seed-3')).toBe(
      '/r/run-1/checkpoints/_sources',
    );
    expect(sourceCacheRoot('/tmp/x/out')).toBe('/tmp/x/out/_sources');
  });

  it('pretrains a source once per spec and seed, also when two jobs ask at once', async () => {
    const cacheRoot = tempDir('sources');
    const trained: string[] = [];
    const opts = (seed: number) => ({
      defaultEnv: experiment.env,
      seed,
      cacheRoot,
      onTrain: (i: { dir: string }) => trained.push(i.dir),
    });
    const [a, b] = await Promise.all([obtainSource(spec, opts(0)), obtainSource(spec, opts(0))]);
    expect(trained.length).toBe(1);
    expect(a.dir).toBe(b.dir);
    expect(weights(a.agent)).toEqual(weights(b.agent));
    const again = await obtainSource(spec, opts(0));
    expect(trained.length).toBe(1);
    expect(weights(again.agent)).toEqual(weights(a.agent));
    const other = await obtainSource(spec, opts(1));
    expect(trained.length).toBe(2);
    expect(other.dir).not.toBe(a.dir);
    expect(existsSync(`${a.dir}.lock`)).toBe(false);
  });

  it('keeps the folder names of sources without evaluation (the hash leaves it out)', async () => {
    const got = await obtainSource(spec, {
      defaultEnv: experiment.env,
      seed: 3,
      cacheRoot: tempDir('hash'),
    });
    const key = JSON.stringify({
      env: { id: BANDIT, options: {} },
      algo: 'ppo',
      totalSteps: 64,
      hyperparams: { hidden: [4], numEnvs: 2, numSteps: 16, updateEpochs: 1 },
      seed: 3,
    });
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 12);
    expect(got.dir.split('/').at(-1)).toBe(`tiny-${hash}`);
  });

  it('with evaluation, keeps the best agent of pretraining and checks it on its own task', async () => {
    const cacheRoot = tempDir('evaluated');
    const reports: SourceReport[] = [];
    const evaluated = { ...spec, evaluation: { every: 32, episodes: 3 } };
    const got = await obtainSource(evaluated, {
      defaultEnv: experiment.env,
      seed: 0,
      cacheRoot,
      onTrain: (i) => reports.push(i.report!),
    });
    const plain = await obtainSource(spec, { defaultEnv: experiment.env, seed: 0, cacheRoot });
    expect(got.dir).not.toBe(plain.dir);
    const [report] = reports;
    expect(report).toMatchObject({
      name: 'tiny',
      algo: 'ppo',
      seed: 0,
      totalSteps: 64,
      selected: 'best',
    });
    expect(report.evaluation).toEqual({ every: 32, episodes: 3 });
    expect(report.evaluations.map((e) => e.globalStep)).toEqual([32, 64]);
    const best = report.evaluations.filter((e) => e.best).at(-1)!;
    expect(report.bestStep).toBe(best.globalStep);
    // The cached agent is the one that scored best, replaying its evaluation exactly.
    expect(evaluateAgent(got.agent, { episodes: 3, seed: 10_000 }).meanReturn).toBe(
      best.meanReturn,
    );
    const check = evaluateAgent(got.agent, { episodes: 100, seed: 0 });
    expect(report.check.selected).toEqual({
      meanReturn: check.meanReturn,
      stdReturn: check.stdReturn,
    });
    expect(report.check.episodes).toBe(100);
    // The bandit has no reward threshold: no verdict.
    expect(report).toMatchObject({ threshold: null, solved: null });
    expect(readdirSync(cacheRoot).some((f) => f.endsWith('.best'))).toBe(false);
    expect(readSourceReports(cacheRoot)).toEqual(reports);
    expect(readSourceReports(join(cacheRoot, 'none'))).toEqual([]);
    // Loaded from the cache, the same agent, not trained again.
    const again = await obtainSource(evaluated, {
      defaultEnv: experiment.env,
      seed: 0,
      cacheRoot,
      onTrain: () => reports.push(null!),
    });
    expect(reports).toHaveLength(1);
    expect(weights(again.agent)).toEqual(weights(got.agent));

    await expect(
      obtainSource(
        { ...evaluated, algo: 'reinforce' },
        { defaultEnv: experiment.env, seed: 0, cacheRoot },
      ),
    ).rejects.toThrow(/algorithm 'reinforce' has no periodic evaluation/);
    writeFileSync(join(got.dir, 'source.json'), '{"format": "other"}');
    expect(() => readSourceReports(cacheRoot)).toThrow(CheckpointError);
  });

  it('takes over a stale lock left by a killed job', async () => {
    const cacheRoot = tempDir('sources');
    const first = await obtainSource(spec, {
      defaultEnv: experiment.env,
      seed: 5,
      cacheRoot: tempDir('probe'),
    });
    const dir = join(cacheRoot, first.dir.split('/').at(-1)!);
    mkdirSync(cacheRoot, { recursive: true });
    writeFileSync(`${dir}.lock`, '');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(`${dir}.lock`, old, old);
    let trainedHere = 0;
    const got = await obtainSource(spec, {
      defaultEnv: experiment.env,
      seed: 5,
      cacheRoot,
      staleMs: 60_000,
      onTrain: () => trainedHere++,
    });
    expect(trainedHere).toBe(1);
    expect(weights(got.agent)).toEqual(weights(first.agent));
  });

  it('loads checkpoints with the algorithm they name, and says what is missing', async () => {
    const dir = tempDir('ckpt');
    await banditAgent(true).save(dir);
    const got = await obtainSource(
      { name: 'given', checkpoint: dir },
      { defaultEnv: experiment.env, seed: 0, cacheRoot: dir },
    );
    expect(got.algo).toBe('ppo');
    expect(got.agent).toBeInstanceOf(PpoAgent);
    await expect(
      obtainSource(
        { name: 'x', algo: 'ppo' },
        { defaultEnv: experiment.env, seed: 0, cacheRoot: dir },
      ),
    ).rejects.toThrow(/give either 'checkpoint' or both 'algo' and 'totalSteps'/);
    await expect(
      obtainSource(
        { name: 'x', checkpoint: join(dir, 'nope') },
        { defaultEnv: experiment.env, seed: 0, cacheRoot: dir },
      ),
    ).rejects.toThrow(CheckpointError);
    // Two uses of one source share one load.
    const both = await obtainSources([{}, {}], {
      experiment: { env: experiment.env, source: { name: 'given', checkpoint: dir } },
      method: 'm',
      seed: 0,
      sourceSeed: 'job',
      outDir: dir,
    });
    expect(both[0].agent).toBe(both[1].agent);
  });
});
