import { describe, expect, it } from 'vitest';
import { scheduleJobs } from '../../src/experiments/schedule.js';
import type { ResolvedExperiment } from '../../src/experiments/schema.js';

function experiment(sourceSeed: number | undefined, source = true): ResolvedExperiment {
  const m = (name: string, kind: string): ResolvedExperiment['methods'][number] => ({
    name,
    kind,
    totalSteps: 10,
    hyperparams: {},
    ...(kind !== 'scratch' && sourceSeed !== undefined ? { sourceSeed } : {}),
  });
  return {
    name: 'x',
    seeds: [0, 1, 2],
    env: { id: 'CartPole-v1', options: {} },
    ...(source ? { source: { algo: 'ppo', totalSteps: 10 } } : {}),
    methods: [m('scratch', 'scratch'), m('finetune', 'finetune'), m('a2t', 'a2t')],
    metrics: {} as ResolvedExperiment['metrics'],
    imports: [],
  } as ResolvedExperiment;
}

const jobs = ['scratch', 'finetune', 'a2t'].flatMap((method) =>
  [0, 1, 2].map((seed) => ({ method, seed })),
);
const keys = (js: { method: string; seed: number }[]): string[] =>
  js.map((j) => `${j.method}/${j.seed}`);

describe('scheduleJobs', () => {
  it('a source shared by every seed: its first job goes first, then the source-free jobs', () => {
    expect(keys(scheduleJobs(jobs, experiment(0)))).toEqual([
      'finetune/0',
      'scratch/0',
      'scratch/1',
      'scratch/2',
      'finetune/1',
      'finetune/2',
      'a2t/0',
      'a2t/1',
      'a2t/2',
    ]);
  });

  it('one source per seed (the default): each pretraining starts as early as it can', () => {
    expect(keys(scheduleJobs(jobs, experiment(undefined)).slice(0, 4))).toEqual([
      'finetune/0',
      'finetune/1',
      'finetune/2',
      'scratch/0',
    ]);
  });

  it('no source: the config order, and every job exactly once', () => {
    expect(scheduleJobs(jobs, experiment(0, false))).toEqual(jobs);
    expect(keys(scheduleJobs(jobs, experiment(0))).sort()).toEqual(keys(jobs).sort());
  });
});
