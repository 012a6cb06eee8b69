/**
 * PPO on CartPole-v1 with the tuned hyperparameters (rl-zoo's recipe: 8 envs x 32 steps,
 * 20 epochs over one 256-row minibatch, lr 1e-3 and clip range 0.2 both annealed to 0, no value
 * clipping, gamma 0.98, lambda 0.8, no entropy bonus), then a deterministic evaluation.
 * CartPole-v1 counts as solved at a mean return of 475.
 *
 *   npx tsx examples/cartpole-ppo.ts            # 100k steps, about a minute
 *   npx tsx examples/cartpole-ppo.ts 20000      # a shorter run
 *
 * Measured over seeds with `osmosis rl train` and `rl eval`: docs/benchmarks.md (bench/rl-solve.ts).
 * Before the clip annealing (js backend) the update took 96% of the time (its matmuls half of
 * all CPU time), the rollout 4%.
 */
import { pathToFileURL } from 'node:url';
import { initDefaultBackend } from '../src/core/backend/select.js';
import '../src/rl/index.js';
import { evaluateAgent } from '../src/rl/algos/common/index.js';
import { trainPpo, type PpoTimings } from '../src/rl/algos/ppo.js';
import { ProgressBar } from '../src/util/progress.js';

export interface CartPolePpoOptions {
  totalSteps?: number;
  seed?: number;
  /** No progress bar or summary. */
  quiet?: boolean;
  /** Write the checkpoint here. */
  outDir?: string;
  evalEpisodes?: number;
  /** Overrides of the tuned hyperparameters. */
  hyperparams?: Record<string, unknown>;
}

export interface CartPolePpoResult {
  totalSteps: number;
  episodes: number;
  trainSeconds: number;
  timings: PpoTimings;
  evalMeanReturn: number;
  evalStdReturn: number;
  solved: boolean;
}

export async function main(options: CartPolePpoOptions = {}): Promise<CartPolePpoResult> {
  const totalSteps = options.totalSteps ?? 100_000;
  const bar = options.quiet
    ? null
    : new ProgressBar({ total: totalSteps, label: 'ppo CartPole-v1', unit: 'steps' });
  let recent: number | undefined;
  const result = await trainPpo({
    envId: 'CartPole-v1',
    seed: options.seed ?? 1,
    totalSteps,
    hyperparams: options.hyperparams,
    outDir: options.outDir,
    onProgress: (p) => {
      recent = p.episodicReturn ?? recent;
      bar?.update(p.globalStep, {
        return: recent ?? 0,
        entropy: p.metrics?.entropy ?? 0,
      });
    },
  });
  bar?.finish();
  const ev = evaluateAgent(result.agent, {
    episodes: options.evalEpisodes ?? 20,
    seed: 10_000,
    deterministic: true,
  });
  const out: CartPolePpoResult = {
    totalSteps,
    episodes: result.episodes.length,
    trainSeconds: result.seconds,
    timings: result.timings,
    evalMeanReturn: ev.meanReturn,
    evalStdReturn: ev.stdReturn,
    solved: ev.meanReturn >= 475,
  };
  if (!options.quiet) {
    const { rolloutSeconds: r, updateSeconds: u } = result.timings;
    console.log(
      `${totalSteps} steps, ${out.episodes} episodes in ${out.trainSeconds.toFixed(1)} s ` +
        `(rollout ${r.toFixed(1)} s, update ${u.toFixed(1)} s); ` +
        `eval over ${ev.returns.length} episodes: ${ev.meanReturn.toFixed(1)} ± ${ev.stdReturn.toFixed(1)}` +
        (out.solved ? ' (solved)' : ''),
    );
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await initDefaultBackend(); // the wasm kernels when built
  const steps = process.argv[2] ? Number(process.argv[2]) : undefined;
  await main({ totalSteps: steps });
}
