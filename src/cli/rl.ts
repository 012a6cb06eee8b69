/**
 * `osmosis rl`: train, evaluate and list reinforcement-learning agents, in the style of rl-zoo
 * (`python train.py --algo dqn --env CartPole-v1`). Training writes an agent checkpoint folder
 * (config.json + model.safetensors) that `osmosis rl eval` loads.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, OsmosisError } from '../core/errors.js';
import '../rl/index.js';
import { getAlgorithm, registeredAlgorithms } from '../rl/algos/index.js';
import {
  evaluateAgent,
  evaluateParallelAgent,
  readCheckpointConfig,
  type EvaluationRecord,
  type EvaluationResult,
} from '../rl/algos/common/index.js';
import type {
  AlgorithmRegistration,
  EvaluationDefaults,
  TrainProgress,
} from '../rl/algos/types.js';
import { registeredIds, spec } from '../rl/registry.js';
import { formatNumber, ProgressBar } from '../util/progress.js';
import { processIO, type CommandIO } from './io.js';

const USAGE = `Usage: osmosis rl <train|eval|list> [options]

Train, evaluate and list reinforcement-learning agents (rl-zoo style).

Commands:
  train   train an agent and write its checkpoint folder
  eval    load a checkpoint folder and report the mean +- std episodic return
  list    list the registered algorithms and environment ids

Run \`osmosis rl <command> --help\` for a command's options.
`;

const TRAIN_USAGE = `Usage: osmosis rl train --algo NAME --env ID [options]

Train an agent with a registered algorithm and write its checkpoint (config.json +
model.safetensors). A progress bar on stderr shows the recent mean episodic return.

Learners that support it (dqn, ppo) evaluate periodically by default, as rl-zoo does: every N
env steps they play deterministic episodes (seeds 10000 on) and save the best agent so far to
DIR/best beside the final weights in DIR (SB3's EvalCallback, rl-zoo's best_model). N and the
episode count are tuned per pair (CartPole-v1: dqn every 2500 steps, ppo every 5000, 20 episodes
each); other pairs use rl-zoo's defaults (every 25000 steps, 5 episodes). \`osmosis rl eval
--checkpoint DIR\` then loads DIR/best. A DIR/best left by an earlier run is removed first.

Options:
  --algo NAME            algorithm (see \`osmosis rl list\`): dqn, ppo, reinforce, ...
  --env ID               environment id, e.g. CartPole-v1
  --seed N               seed for weights, exploration and the env (default 1)
  --total-steps N        environment steps (default: the tuned budget for the pair, else 100000)
  --out DIR              checkpoint folder (default runs/rl/<algo>/<env>-seed<seed>)
  --hyperparams K=V ...  override hyperparameters; values are JSON (numbers, true/false, null,
                         [64,64]) or plain strings; snake_case keys are accepted
                         (learning_rate=1e-3 is learningRate); tuned defaults fill the rest
  --env-options JSON     options for the env, e.g. '{"suttonBartoReward": true}'
  --eval-every N         env steps between periodic evaluations (default: tuned, see above);
                         0 turns periodic evaluation off
  --eval-episodes N      episodes per periodic evaluation (default: tuned, see above)
  --no-eval              no periodic evaluation and no DIR/best (the same as --eval-every 0)
  --quiet                no progress bar
  --json                 print a JSON summary on stdout
  -h, --help             this help
`;

const EVAL_USAGE = `Usage: osmosis rl eval --checkpoint DIR [options]

Load a checkpoint written by \`osmosis rl train\` and play full episodes in a fresh env.
When DIR holds a best/ checkpoint (the best agent of training's periodic evaluation, written by
default), that is the one evaluated, as rl-zoo users evaluate best_model; --final picks DIR's
own (final) weights. The output names the folder it loaded.

Options:
  --checkpoint DIR   the checkpoint folder (config.json + model.safetensors)
  --final            evaluate DIR's final weights even when DIR/best exists
  --episodes N       episodes to play (default 100)
  --deterministic    greedy / mean actions (the default)
  --stochastic       sample actions from the policy (DQN: epsilon-greedy with its final epsilon)
  --seed N           episode i is reset with seed N + i (default 0)
  --json             print {algo, envId, checkpoint, best, meanReturn, stdReturn, returns,
                     lengths, ...} on stdout (checkpoint: the folder loaded; best: whether it is
                     DIR/best)
  -h, --help         this help
`;

const LIST_USAGE = `Usage: osmosis rl list [--json]

List the registered learning algorithms and environment ids.
`;

/** rl-zoo's n_timesteps for the pairs it tunes; other pairs get DEFAULT_TOTAL_STEPS. */
const TUNED_TOTAL_STEPS: Record<string, Record<string, number>> = {
  dqn: { 'CartPole-v1': 50_000 },
  ppo: { 'CartPole-v1': 100_000 },
  reinforce: { 'CartPole-v1': 100_000 },
};
const DEFAULT_TOTAL_STEPS = 100_000;
/** rl-zoo's train.py defaults (--eval-freq 25000, --eval-episodes 5) for pairs not tuned. */
const DEFAULT_EVALUATION: EvaluationDefaults = { every: 25_000, episodes: 5 };
/** The folder inside a training output folder that holds the best checkpoint. */
export const BEST_DIR = 'best';

/**
 * Entry point of `osmosis rl`; returns the exit code. Expected failures (bad flags, unknown ids,
 * unreadable checkpoints: every OsmosisError) print one line on stderr and exit 2.
 */
export async function rlCommand(args: string[], io: CommandIO): Promise<number> {
  try {
    return await dispatch(args, io);
  } catch (err) {
    if (err instanceof OsmosisError) {
      io.stderr(`osmosis rl: ${err.name}: ${err.message.split('\n')[0]}\n`);
      return 2;
    }
    throw err;
  }
}

async function dispatch(args: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(USAGE);
    return sub === undefined ? 2 : 0;
  }
  switch (sub) {
    case 'train':
      return train(rest, io);
    case 'eval':
      return evaluate(rest, io);
    case 'list':
      return list(rest, io);
    default:
      throw new ConfigError(`rl: unknown command '${sub}'; use train, eval or list`);
  }
}

/** Pull `--hyperparams k=v k=v ...` out of args (parseArgs has no multi-value options). */
function extractHyperparams(args: string[]): { rest: string[]; pairs: string[] } {
  const rest: string[] = [];
  const pairs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--hyperparams' || a.startsWith('--hyperparams=')) {
      if (a.startsWith('--hyperparams=')) pairs.push(a.slice('--hyperparams='.length));
      while (i + 1 < args.length && !args[i + 1].startsWith('--')) pairs.push(args[++i]);
      continue;
    }
    rest.push(a);
  }
  return { rest, pairs };
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `key=value` pairs -> an object; values parse as JSON where they can, else stay strings. */
export function parseHyperparams(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new ConfigError(`--hyperparams: expected key=value, got '${pair}'`);
    }
    const raw = pair.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw) || FORBIDDEN_KEYS.has(raw)) {
      throw new ConfigError(`--hyperparams: invalid key '${raw}'`);
    }
    const key = raw.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    if (FORBIDDEN_KEYS.has(key)) throw new ConfigError(`--hyperparams: invalid key '${raw}'`);
    const text = pair.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: keep the string (e.g. loss=huber).
    }
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function parseEnvOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`--env-options: not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError('--env-options: expected a JSON object');
  }
  return json as Record<string, unknown>;
}

function integer(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new ConfigError(`--${flag} must be an integer >= ${min}, got '${v}'`);
  }
  return n;
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true });
  } catch (err) {
    // node:util's messages are one line already; keep them, typed.
    throw new ConfigError((err as Error).message, { cause: err });
  }
}

/** The kernels: wasm when built (fast), else js. Not for tests that pass their own io. */
async function initBackend(io: CommandIO): Promise<void> {
  if (io !== processIO) return;
  const { initDefaultBackend } = await import('../core/backend/select.js');
  await initDefaultBackend();
}

/** ProgressBar wants a stream; route it to io.stderr (a TTY only for the real process). */
function progressStream(io: CommandIO): NodeJS.WriteStream {
  if (io === processIO) return process.stderr;
  return { isTTY: false, write: (s: string) => (io.stderr(s), true) } as NodeJS.WriteStream;
}

async function train(argv: string[], io: CommandIO): Promise<number> {
  const { rest, pairs } = extractHyperparams(argv);
  const { values } = parse(rest, {
    algo: { type: 'string' },
    env: { type: 'string' },
    seed: { type: 'string' },
    'total-steps': { type: 'string' },
    out: { type: 'string' },
    'env-options': { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-episodes': { type: 'string' },
    'no-eval': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(TRAIN_USAGE);
    return 0;
  }
  const algoName = values.algo as string | undefined;
  const envId = values.env as string | undefined;
  if (!algoName) throw new ConfigError('rl train: --algo is required (see `osmosis rl list`)');
  if (!envId) throw new ConfigError('rl train: --env is required (see `osmosis rl list`)');
  const algo = getAlgorithm(algoName);
  spec(envId); // an unknown id fails here, with suggestions, before any work
  const seed = integer('seed', values.seed as string | undefined, 0) ?? 1;
  const totalSteps =
    integer('total-steps', values['total-steps'] as string | undefined, 1) ??
    TUNED_TOTAL_STEPS[algo.name]?.[envId] ??
    DEFAULT_TOTAL_STEPS;
  const outDir =
    (values.out as string | undefined) ??
    join('runs', 'rl', algo.name, `${envId.replace(/[^\w.-]/g, '_')}-seed${seed}`);
  const hyperparams = parseHyperparams(pairs);
  const envOptions = parseEnvOptions(values['env-options'] as string | undefined);
  const bestDir = join(outDir, BEST_DIR);
  const settings = evaluationSettings(algo, envId, {
    every: values['eval-every'] as string | undefined,
    episodes: values['eval-episodes'] as string | undefined,
    off: values['no-eval'] as boolean,
  });
  const evaluation = settings ? { ...settings, bestDir } : undefined;
  // A best/ from an earlier run into the same folder would be taken for this run's by rl eval.
  if (existsSync(join(bestDir, 'config.json'))) rmSync(bestDir, { recursive: true, force: true });
  await initBackend(io);

  const bar = values.quiet
    ? null
    : new ProgressBar({
        total: totalSteps,
        label: `${algo.name} ${envId}`,
        unit: 'steps',
        stream: progressStream(io),
      });
  let lastReturn: number | undefined;
  const onProgress = (p: TrainProgress): void => {
    if (p.episodicReturn !== undefined) lastReturn = p.episodicReturn;
    const metrics: Record<string, number> = {};
    if (lastReturn !== undefined) metrics.return = lastReturn;
    for (const [k, v] of Object.entries(p.metrics ?? {}).slice(0, 3)) {
      if (Number.isFinite(v)) metrics[k] = v;
    }
    bar?.update(p.globalStep, metrics);
  };
  const result = await algo.train({
    envId,
    envOptions,
    seed,
    totalSteps,
    hyperparams,
    outDir,
    onProgress,
    evaluation,
  });
  bar?.finish();
  const last = result.episodes.slice(-100);
  const recentMean =
    last.length > 0 ? last.reduce((s, e) => s + e.episodicReturn, 0) / last.length : NaN;
  const summary = {
    algo: algo.name,
    envId,
    seed,
    totalSteps,
    episodes: result.episodes.length,
    recentMeanReturn: recentMean,
    seconds: result.seconds,
    checkpoint: outDir,
    evaluation: settings,
    ...(evaluation ? { bestCheckpoint: bestDir, evaluations: result.evaluations ?? [] } : {}),
  };
  if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout(
      `trained ${algo.name} on ${envId} (seed ${seed}) for ${totalSteps} steps in ${result.seconds.toFixed(1)} s: ` +
        `${result.episodes.length} episodes, mean return of the last ${last.length} ${formatNumber(recentMean)}\n` +
        `checkpoint: ${outDir}\n` +
        (evaluation ? bestLine(result.evaluations ?? [], bestDir) : ''),
    );
  }
  return 0;
}

/** The algorithms whose train() runs TrainOptions.evaluation. */
function evaluatingAlgorithms(): string[] {
  return registeredAlgorithms().filter((n) => getAlgorithm(n).evaluation !== undefined);
}

/**
 * Periodic evaluation for \`rl train\`: on by default for learners that support it, with the
 * pair's tuned interval and episodes (else rl-zoo's defaults); null when off or unsupported.
 */
function evaluationSettings(
  algo: AlgorithmRegistration,
  envId: string,
  flags: { every: string | undefined; episodes: string | undefined; off: boolean },
): EvaluationDefaults | null {
  const every = integer('eval-every', flags.every, 0);
  const episodes = integer('eval-episodes', flags.episodes, 1);
  if (flags.off && (every !== undefined || episodes !== undefined)) {
    throw new ConfigError(
      'rl train: --no-eval cannot be combined with --eval-every/--eval-episodes',
    );
  }
  const off = flags.off || every === 0;
  if (off && episodes !== undefined) {
    throw new ConfigError(
      'rl train: --eval-episodes needs periodic evaluation, which --eval-every 0 turns off',
    );
  }
  if (algo.evaluation === undefined) {
    if ((every !== undefined && every > 0) || episodes !== undefined) {
      throw new ConfigError(
        `rl train: periodic evaluation (--eval-every/--eval-episodes) is supported by ${evaluatingAlgorithms().join(', ')}, not ${algo.name}`,
      );
    }
    return null;
  }
  if (off) return null;
  const tuned = algo.evaluation.tuned[envId] ?? DEFAULT_EVALUATION;
  return { every: every ?? tuned.every, episodes: episodes ?? tuned.episodes };
}

function bestLine(evaluations: readonly EvaluationRecord[], bestDir: string): string {
  const best = evaluations.filter((e) => e.best).at(-1);
  if (!best)
    return `no periodic evaluation ran (fewer steps than --eval-every): no best checkpoint\n`;
  return (
    `best of ${evaluations.length} evaluations: mean return ${formatNumber(best.meanReturn)} ` +
    `at step ${best.globalStep}; checkpoint: ${bestDir}\n`
  );
}

async function evaluate(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parse(argv, {
    checkpoint: { type: 'string' },
    episodes: { type: 'string' },
    deterministic: { type: 'boolean' },
    stochastic: { type: 'boolean' },
    seed: { type: 'string' },
    final: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(EVAL_USAGE);
    return 0;
  }
  const given = values.checkpoint as string | undefined;
  if (!given) throw new ConfigError('rl eval: --checkpoint DIR is required');
  const best = !values.final && existsSync(join(given, BEST_DIR, 'config.json'));
  const dir = best ? join(given, BEST_DIR) : given;
  if (values.deterministic && values.stochastic) {
    throw new ConfigError('rl eval: choose one of --deterministic and --stochastic');
  }
  const deterministic = !values.stochastic;
  const episodes = integer('episodes', values.episodes as string | undefined, 1) ?? 100;
  const seed = integer('seed', values.seed as string | undefined, 0) ?? 0;
  const config = await readCheckpointConfig(dir);
  const algo = getAlgorithm(config.algo);
  await initBackend(io);
  const agent = await algo.load(dir);
  const options = { episodes, seed, deterministic };
  const result: EvaluationResult =
    algo.envKind === 'parallel'
      ? evaluateParallelAgent(agent, options)
      : evaluateAgent(agent, options);
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ algo: config.algo, envId: config.envId, checkpoint: dir, best, episodes, seed, deterministic, ...result })}\n`,
    );
  } else {
    io.stdout(
      `${config.algo} on ${config.envId}: mean return ${formatNumber(result.meanReturn)} ± ${formatNumber(result.stdReturn)} ` +
        `over ${episodes} episodes (${deterministic ? 'deterministic' : 'stochastic'}, seed ${seed}); ` +
        `mean length ${formatNumber(result.lengths.reduce((a, b) => a + b, 0) / result.lengths.length)}\n` +
        (best
          ? `loaded ${dir}: the best checkpoint of periodic evaluation (--final for ${given}'s final weights)\n`
          : `loaded ${dir}\n`),
    );
  }
  return 0;
}

function list(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parse(argv, {
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(LIST_USAGE);
    return Promise.resolve(0);
  }
  const algos = registeredAlgorithms().map((name) => {
    const a = getAlgorithm(name);
    return { name, envKind: a.envKind, tunedFor: Object.keys(a.tunedDefaults ?? {}) };
  });
  const envs = registeredIds().map((id) => {
    const s = spec(id);
    return { id, kind: s.kind, description: s.description };
  });
  if (values.json) {
    io.stdout(`${JSON.stringify({ algorithms: algos, envs })}\n`);
    return Promise.resolve(0);
  }
  const lines = ['Algorithms:'];
  for (const a of algos) {
    const tuned = a.tunedFor.length > 0 ? `  tuned: ${a.tunedFor.join(', ')}` : '';
    lines.push(`  ${a.name.padEnd(12)} ${`${a.envKind} envs`.padEnd(14)}${tuned}`.trimEnd());
  }
  lines.push('', 'Environments:');
  const width = Math.max(...envs.map((e) => e.id.length));
  for (const e of envs) {
    lines.push(
      `  ${e.id.padEnd(width)}  ${e.kind.padEnd(8)}${e.description ? `  ${e.description}` : ''}`,
    );
  }
  io.stdout(`${lines.join('\n')}\n`);
  return Promise.resolve(0);
}
