import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHyperparams, rlCommand } from '../../../src/cli/rl.js';
import type { CommandIO } from '../../../src/cli/io.js';

const root = mkdtempSync(join(tmpdir(), 'osmosis-rl-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { stdout: (s) => void (out += s), stderr: (s) => void (err += s) };
  const code = await rlCommand(args, io);
  return { code, out, err };
}

describe('osmosis rl', () => {
  it('trains, writes a checkpoint and evaluates it end to end', async () => {
    const out = join(root, 'dqn-cartpole');
    const train = await run([
      'train',
      '--algo',
      'dqn',
      '--env',
      'CartPole-v1',
      '--seed',
      '2',
      '--total-steps',
      '600',
      '--out',
      out,
      '--hyperparams',
      'hidden=[16]',
      'learning_starts=100',
      'train_frequency=50',
      'loss=mse',
      '--json',
    ]);
    expect(train.err).toMatch(/dqn CartPole-v1 .*100%/); // the progress bar, on stderr
    expect(train.code).toBe(0);
    const summary = JSON.parse(train.out) as Record<string, unknown>;
    expect(summary).toMatchObject({ algo: 'dqn', envId: 'CartPole-v1', seed: 2, totalSteps: 600 });
    expect(existsSync(join(out, 'config.json'))).toBe(true);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);

    const ev = await run(['eval', '--checkpoint', out, '--episodes', '3', '--json']);
    expect(ev.code).toBe(0);
    const result = JSON.parse(ev.out) as { returns: number[]; meanReturn: number };
    expect(result).toMatchObject({ algo: 'dqn', episodes: 3, deterministic: true, seed: 0 });
    expect(result.returns).toHaveLength(3);
    const again = await run(['eval', '--checkpoint', out, '--episodes', '3', '--json']);
    expect(JSON.parse(again.out)).toEqual(result);

    const text = await run(['eval', '--checkpoint', out, '--episodes', '2', '--stochastic']);
    expect(text.out).toMatch(
      /^dqn on CartPole-v1: mean return [\d.]+ ± [\d.]+ over 2 episodes \(stochastic, seed 0\)/,
    );

    const rf = await run([
      'train',
      '--algo',
      'reinforce',
      '--env',
      'CartPole-v1',
      '--total-steps',
      '300',
      '--out',
      join(root, 'rf'),
      '--quiet',
    ]);
    expect(rf.code).toBe(0);
    expect(rf.err).toBe('');
    expect(rf.out).toMatch(/trained reinforce on CartPole-v1 \(seed 1\) for 300 steps/);
  });

  it('evaluates periodically and keeps the best checkpoint beside the final one', async () => {
    const out = join(root, 'ppo-best');
    const args = ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '512'];
    const flags = ['--out', out, '--eval-every', '256', '--eval-episodes', '2', '--quiet'];
    const train = await run([...args, ...flags, '--json']);
    expect(train.code).toBe(0);
    const summary = JSON.parse(train.out) as {
      bestCheckpoint: string;
      evaluations: { globalStep: number; meanReturn: number; best: boolean }[];
    };
    expect(summary.bestCheckpoint).toBe(join(out, 'best'));
    expect(summary.evaluations.map((e) => e.globalStep)).toEqual([256, 512]);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(out, 'best', 'model.safetensors'))).toBe(true);
    const best = summary.evaluations.filter((e) => e.best).at(-1)!;
    const ev = await run(['eval', '--checkpoint', summary.bestCheckpoint, '--episodes', '2']);
    expect(ev.code).toBe(0);
    const text = await run([...args, ...flags]);
    expect(text.out).toMatch(
      new RegExp(
        `best of 2 evaluations: mean return [\\d.]+ at step ${best.globalStep}; checkpoint: .*best`,
      ),
    );
  });

  it('lists algorithms and envs, and explains each command', async () => {
    const list = await run(['list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/dqn\s+single envs\s+tuned: CartPole-v1/);
    expect(list.out).toMatch(/reinforce/);
    expect(list.out).toMatch(/CartPole-v1\s+single/);
    const json = JSON.parse((await run(['list', '--json'])).out) as {
      algorithms: { name: string }[];
    };
    expect(json.algorithms.map((a) => a.name)).toEqual(
      expect.arrayContaining(['dqn', 'reinforce']),
    );
    expect((await run(['--help'])).out).toMatch(/train .*\n.*eval .*\n.*list/);
    expect((await run(['train', '--help'])).out).toMatch(/--hyperparams K=V/);
    expect((await run(['eval', '--help'])).out).toMatch(/--stochastic/);
    expect((await run([])).code).toBe(2);
  });

  it('reports bad input as one-line typed errors with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /ConfigError: rl: unknown command 'frobnicate'/],
      [['train', '--env', 'CartPole-v1'], /--algo is required/],
      [
        ['train', '--algo', 'nope', '--env', 'CartPole-v1'],
        /unknown algorithm 'nope'; registered: .*dqn/,
      ],
      [['train', '--algo', 'dqn', '--env', 'CartPol-v1'], /EnvError: .*did you mean 'CartPole-v1'/],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--total-steps', '0'],
        /--total-steps must be an integer >= 1/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--hyperparams', 'gama=0.9'],
        /unknown hyperparameter 'gama'/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--hyperparams', '__proto__=1'],
        /invalid key '__proto__'/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--env-options', '[1]'],
        /--env-options: expected a JSON object/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--env-options', '{"bogus":1}'],
        /unknown option 'bogus'/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--bogus'],
        /ConfigError: Unknown option '--bogus'/,
      ],
      [
        ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--eval-episodes', '5'],
        /--eval-episodes needs --eval-every/,
      ],
      [
        ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--eval-every', '0'],
        /--eval-every must be an integer >= 1, got '0'/,
      ],
      [
        ['train', '--algo', 'reinforce', '--env', 'CartPole-v1', '--eval-every', '100'],
        /--eval-every is supported by dqn, ppo, not reinforce/,
      ],
      [['eval'], /--checkpoint DIR is required/],
      [
        ['eval', '--checkpoint', join(root, 'none')],
        /CheckpointError: .*none\/config\.json: cannot read/,
      ],
      [['eval', '--checkpoint', root, '--deterministic', '--stochastic'], /choose one of/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('parses hyperparameter values as JSON where possible, snake_case to camelCase', () => {
    expect(
      parseHyperparams([
        'learning_rate=1e-3',
        'hidden=[64,64]',
        'double_dqn=true',
        'loss=huber',
        'max_grad_norm=null',
      ]),
    ).toEqual({
      learningRate: 1e-3,
      hidden: [64, 64],
      doubleDqn: true,
      loss: 'huber',
      maxGradNorm: null,
    });
    expect(() => parseHyperparams(['novalue'])).toThrow(/expected key=value/);
    expect(() => parseHyperparams(['constructor=1'])).toThrow(/invalid key/);
  });
});
