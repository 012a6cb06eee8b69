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
    // 600 steps are fewer than the tuned interval (2500): no evaluation ran, no best/ exists.
    expect(summary.evaluations).toEqual([]);
    expect(result).toMatchObject({ algo: 'dqn', episodes: 3, deterministic: true, seed: 0 });
    expect(result).toMatchObject({ checkpoint: out, best: false });
    expect(result.returns).toHaveLength(3);
    const again = await run(['eval', '--checkpoint', out, '--episodes', '3', '--json']);
    expect(JSON.parse(again.out)).toEqual(result);

    const text = await run(['eval', '--checkpoint', out, '--episodes', '2', '--stochastic']);
    expect(text.out).toMatch(
      /^dqn on CartPole-v1: mean return [\d.]+ ± [\d.]+ over 2 episodes \(stochastic, seed 0\)/,
    );
    expect(text.out).toMatch(new RegExp(`\nloaded ${out}\n$`));

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
    // The run folder itself evaluates its best/ (what rl-zoo users evaluate); --final its own.
    const viaRun = await run(['eval', '--checkpoint', out, '--episodes', '2']);
    expect(viaRun.out.split('\n')[0]).toBe(ev.out.split('\n')[0]);
    expect(viaRun.out).toMatch(/loaded .*best: the best checkpoint of periodic evaluation/);
    const final = await run(['eval', '--checkpoint', out, '--episodes', '2', '--final', '--json']);
    expect(JSON.parse(final.out)).toMatchObject({ checkpoint: out, best: false });
    const text = await run([...args, ...flags]);
    expect(text.out).toMatch(
      new RegExp(
        `best of 2 evaluations: mean return [\\d.]+ at step ${best.globalStep}; checkpoint: .*best`,
      ),
    );
  });

  it('evaluates by default with the tuned interval; --no-eval and --eval-every 0 turn it off', async () => {
    const out = join(root, 'dqn-default-eval');
    const args = ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--out', out, '--quiet'];
    const hp = ['--hyperparams', 'hidden=[8]', 'learning_starts=100', 'gradient_steps=1'];
    const on = await run([...args, '--total-steps', '2500', '--json', ...hp]);
    expect(on.code).toBe(0);
    const summary = JSON.parse(on.out) as {
      evaluation: { every: number; episodes: number };
      evaluations: { globalStep: number; best: boolean }[];
    };
    expect(summary.evaluation).toEqual({ every: 2500, episodes: 20 });
    expect(summary.evaluations).toMatchObject([{ globalStep: 2500, best: true }]);
    expect(existsSync(join(out, 'best', 'model.safetensors'))).toBe(true);
    const ev = JSON.parse(
      (await run(['eval', '--checkpoint', out, '--episodes', '1', '--json'])).out,
    );
    expect(ev).toMatchObject({ checkpoint: join(out, 'best'), best: true });

    for (const off of [['--no-eval'], ['--eval-every', '0']]) {
      // Training again into the folder drops the earlier run's best/: rl eval must not load it.
      const r = await run([...args, '--total-steps', '300', '--json', ...off, ...hp]);
      expect(r.code, off.join(' ')).toBe(0);
      const s = JSON.parse(r.out) as Record<string, unknown>;
      expect(s.evaluation).toBeNull();
      expect(s).not.toHaveProperty('evaluations');
      expect(existsSync(join(out, 'best'))).toBe(false);
      const e = await run(['eval', '--checkpoint', out, '--episodes', '1', '--json']);
      expect(JSON.parse(e.out)).toMatchObject({ checkpoint: out, best: false });
      await run([...args, '--total-steps', '2500', ...hp]); // best/ back for the next case
      expect(existsSync(join(out, 'best'))).toBe(true);
    }
    // Untuned pairs take rl-zoo's defaults; learners without the loop train without it.
    const rf = await run([
      'train',
      '--algo',
      'reinforce',
      '--env',
      'CartPole-v1',
      '--total-steps',
      '50',
      '--out',
      join(root, 'rf-off'),
      '--quiet',
      '--json',
      '--eval-every',
      '0',
    ]);
    expect(JSON.parse(rf.out)).toMatchObject({ evaluation: null });
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
        [
          'train',
          '--algo',
          'ppo',
          '--env',
          'CartPole-v1',
          '--eval-every',
          '0',
          '--eval-episodes',
          '5',
        ],
        /--eval-episodes needs periodic evaluation, which --eval-every 0 turns off/,
      ],
      [
        ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--no-eval', '--eval-every', '100'],
        /--no-eval cannot be combined with --eval-every/,
      ],
      [
        ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--eval-every=-1'],
        /--eval-every must be an integer >= 0, got '-1'/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--eval-every', '1e3x'],
        /--eval-every must be an integer >= 0, got '1e3x'/,
      ],
      [
        ['train', '--algo', 'dqn', '--env', 'CartPole-v1', '--eval-episodes', '0'],
        /--eval-episodes must be an integer >= 1, got '0'/,
      ],
      [
        ['train', '--algo', 'reinforce', '--env', 'CartPole-v1', '--eval-every', '100'],
        /periodic evaluation .* is supported by dqn, ppo, not reinforce/,
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
