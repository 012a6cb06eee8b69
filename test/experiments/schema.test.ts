import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  configHash,
  experimentToYaml,
  ExperimentConfigError,
  formatPath,
  loadExperimentText,
  parseExperimentYaml,
  validateExperiment,
} from '../../src/experiments/schema.js';
import '../../src/experiments/builtins.js';
import './fixtures/fake-method.js';

const GOOD = `
name: cartpole-transfer
description: a small test
seeds: 3
env: { id: Fake-v0 }
methods:
  - name: scratch
    kind: scratch
    algo: fakealgo
    totalSteps: 1000
  - name: fancy
    kind: fake
    totalSteps: 1000
    hyperparams: { lr: 0.5 }
metrics:
  threshold: 50
`;

function issuesOf(text: string): string[] {
  try {
    validateExperiment(parseExperimentYaml(text, 'x.yaml'), { file: 'x.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(ExperimentConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ExperimentConfigError;
    expect(e.message).toContain(`${formatPath(e.issues[0].path)}: ${e.issues[0].message}`);
    return e.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  }
  throw new Error('expected the config to be rejected');
}

describe('experiment schema', () => {
  it('fills defaults: seeds, env options, metrics, baseline, tuned algorithm defaults', () => {
    const e = validateExperiment(parseExperimentYaml(GOOD));
    expect(e.seeds).toEqual([0, 1, 2]);
    expect(e.env).toEqual({ id: 'Fake-v0', options: {} });
    expect(e.metrics).toMatchObject({
      baseline: 'scratch',
      threshold: 50,
      window: 10,
      initialWindow: 1,
      gridPoints: 100,
      smoothing: { kind: 'none' },
      ci: { method: 't', level: 0.95, resamples: 2000, seed: 0 },
      aucBaseline: 0,
    });
    // fakealgo's schema default lr and its tuned gamma for Fake-v0.
    expect(e.methods[0].hyperparams).toEqual({ lr: 0.001, gamma: 0.9 });
    expect(e.methods[1]).toMatchObject({ kind: 'fake', hyperparams: { lr: 0.5 }, delayMs: 0 });
  });

  it('round-trips through the resolved YAML unchanged', () => {
    const e = validateExperiment(parseExperimentYaml(GOOD));
    const again = validateExperiment(parseExperimentYaml(experimentToYaml(e)));
    expect(again).toEqual(e);
    expect(configHash(again)).toBe(configHash(e));
    expect(configHash({ ...e, workers: 7 })).toBe(configHash(e));
    expect(configHash({ ...e, seeds: [0, 1] })).not.toBe(configHash(e));
  });

  it('reports a bad hyperparameter with its path', () => {
    const text = GOOD.replace('hyperparams: { lr: 0.5 }', 'hyperparams: { lr: fast }');
    expect(issuesOf(text)).toEqual(['methods[1].hyperparams.lr: expected number, got "fast"']);
  });

  it('checks hyperparams against the algorithm schema', () => {
    const text = GOOD.replace(
      'algo: fakealgo',
      'algo: fakealgo\n    hyperparams: { lr: -1, momentum: 2 }',
    );
    const issues = issuesOf(text);
    expect(issues).toContain('methods[0].hyperparams.momentum: unknown key');
    expect(issues.some((i) => i.startsWith('methods[0].hyperparams.lr: Too small'))).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    const text = `
name: bad name!
seeds: [1, 1]
env: { options: {} }
extra: 1
methods:
  - name: a
    kind: nope
    totalSteps: 10
  - name: b
    kind: fake
    totalSteps: -5
    colour: red
  - name: b
    kind: scratch
    algo: dqn-missing
    totalSteps: 10
metrics: { smoothing: { kind: gaussian }, ci: { level: 2 }, baseline: zzz }
`;
    const issues = issuesOf(text);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: expected letters/),
        'env.id: missing (expected string)',
        'extra: unknown key',
        expect.stringMatching(
          /^methods\[0\]\.kind: unknown method kind "nope"; registered: .*fake.*scratch/,
        ),
        expect.stringMatching(/^methods\[1\]\.totalSteps: Too small.*got -5/),
        'methods[1].colour: unknown key',
        'methods[2].name: duplicate method name "b" (also methods[1])',
        expect.stringMatching(
          /^methods\[2\]\.algo: unknown algorithm "dqn-missing"; registered: .*fakealgo/,
        ),
        expect.stringMatching(/^metrics\.smoothing\.kind: /),
        expect.stringMatching(/^metrics\.ci\.level: Too big/),
      ]),
    );
  });

  it('reports duplicate seeds and an unknown baseline once the rest is valid', () => {
    expect(issuesOf(GOOD.replace('seeds: 3', 'seeds: [4, 2, 4]'))).toEqual([
      'seeds[2]: seed 4 repeats seeds[0]',
    ]);
    expect(issuesOf(GOOD.replace('threshold: 50', 'baseline: zzz'))).toEqual([
      'metrics.baseline: "zzz" is not a method name; methods: scratch, fancy',
    ]);
  });

  it("checks a source's periodic evaluation: pretrained, by a learner that has it, within budget", async () => {
    await import('../../src/rl/algos/index.js'); // dqn and ppo, which evaluate
    const withSource = (source: string): string =>
      GOOD.replace('seeds: 3', `seeds: 3\nsource: ${source}`);
    const ok = validateExperiment(
      parseExperimentYaml(
        withSource('{ algo: dqn, totalSteps: 100, evaluation: { every: 50 } }'),
        'x.yaml',
      ),
    );
    expect(ok.source).toMatchObject({ evaluation: { every: 50, episodes: 10 } });
    expect(issuesOf(withSource('{ checkpoint: ckpt, evaluation: { every: 50 } }'))).toEqual([
      'source.evaluation: only a pretrained source is evaluated; this one loads its checkpoint',
    ]);
    expect(
      issuesOf(
        withSource(
          '[{ algo: dqn, totalSteps: 100 }, { algo: fakealgo, totalSteps: 100, evaluation: { every: 50 } }]',
        ),
      ),
    ).toEqual([
      expect.stringMatching(
        /^source\[1\]\.evaluation: algorithm "fakealgo" has no periodic evaluation; supported: .*dqn, ppo/,
      ),
    ]);
    expect(
      issuesOf(withSource('{ algo: ppo, totalSteps: 100, evaluation: { every: 500 } }')),
    ).toEqual([
      "source.evaluation.every: 500 is more than the source's totalSteps (100): no evaluation would run",
    ]);
    expect(
      issuesOf(withSource('{ algo: ppo, totalSteps: 100, evaluation: { every: 0, often: true } }')),
    ).toEqual([
      'source.evaluation.every: Too small: expected number to be >0, got 0',
      'source.evaluation.often: unknown key',
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(issuesOf('name: a\nname: b\n')[0]).toMatch(/^\(root\): YAML DUPLICATE_KEY: .*line 2/);
    expect(issuesOf('name: [a\n')[0]).toMatch(/^\(root\): YAML /);
  });
});

describe('prototype pollution', () => {
  it.each([
    ['top level', `${GOOD}__proto__: { polluted: true }\n`, '__proto__'],
    [
      'hyperparams',
      GOOD.replace('{ lr: 0.5 }', '{ lr: 0.5, __proto__: { polluted: true } }'),
      'methods[1].hyperparams.__proto__',
    ],
    [
      'env options',
      GOOD.replace(
        '{ id: Fake-v0 }',
        '{ id: Fake-v0, options: { constructor: { prototype: { polluted: true } } } }',
      ),
      'env.options.constructor',
    ],
    [
      'list item',
      GOOD.replace('seeds: 3', 'seeds: 3\nimports: []\nsource: [{ prototype: 1 }]'),
      'source[0].prototype',
    ],
  ])('rejects a forbidden key in %s', (_, text, path) => {
    const issues = issuesOf(text);
    expect(issues).toEqual([
      `${path}: key '${path
        .split('.')
        .at(-1)!
        .replace(/^source\[0\]\./, '')}' is not allowed`,
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('a validated config has plain prototypes everywhere', async () => {
    const e = await loadExperimentText(GOOD);
    expect(Object.getPrototypeOf(e.env.options)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(e.methods[1].hyperparams)).toBe(Object.prototype);
  });
});
