/**
 * DQN on CartPole-v1 with rl-zoo's tuned hyperparameters (50k steps, [256, 256] Q-network,
 * 128 gradient steps every 256 env steps), then a deterministic evaluation over 100 episodes.
 * CartPole-v1 counts as solved at a mean return of 475 (the maximum is 500).
 *
 *   npx tsx examples/cartpole-dqn.ts            # full budget, a few minutes
 *   npx tsx examples/cartpole-dqn.ts 10000      # a shorter run
 */
import { pathToFileURL } from 'node:url';
import { initDefaultBackend } from '../src/core/backend/select.js';
import '../src/rl/index.js';
import { evaluateAgent, trainDQN } from '../src/rl/algos/index.js';
import { ProgressBar } from '../src/util/progress.js';

export interface CartPoleDQNOptions {
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

export interface CartPoleDQNResult {
  totalSteps: number;
  episodes: number;
  trainSeconds: number;
  evalMeanReturn: number;
  evalStdReturn: number;
  solved: boolean;
}

export async function main(options: CartPoleDQNOptions = {}): Promise<CartPoleDQNResult> {
  const totalSteps = options.totalSteps ?? 50_000;
  const bar = options.quiet
    ? null
    : new ProgressBar({ total: totalSteps, label: 'dqn CartPole-v1', unit: 'steps' });
  let recent: number | undefined;
  const result = await trainDQN({
    envId: 'CartPole-v1',
    seed: options.seed ?? 1,
    totalSteps,
    hyperparams: options.hyperparams,
    outDir: options.outDir,
    onProgress: (p) => {
      recent = p.episodicReturn ?? recent;
      bar?.update(p.globalStep, {
        return: recent ?? 0,
        epsilon: p.metrics?.epsilon ?? 1,
      });
    },
  });
  bar?.finish();
  const ev = evaluateAgent(result.agent, {
    episodes: options.evalEpisodes ?? 100,
    seed: 10_000,
    deterministic: true,
  });
  const out: CartPoleDQNResult = {
    totalSteps,
    episodes: result.episodes.length,
    trainSeconds: result.seconds,
    evalMeanReturn: ev.meanReturn,
    evalStdReturn: ev.stdReturn,
    solved: ev.meanReturn >= 475,
  };
  if (!options.quiet) {
    console.log(
      `${totalSteps} steps, ${out.episodes} episodes in ${out.trainSeconds.toFixed(1)} s; ` +
        `eval over ${ev.returns.length} episodes: ${ev.meanReturn.toFixed(1)} ± ${ev.stdReturn.toFixed(1)}` +
        (out.solved ? ' (solved)' : ''),
    );
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await initDefaultBackend(); // the wasm kernels when built: several times faster than js
  const steps = process.argv[2] ? Number(process.argv[2]) : undefined;
  await main({ totalSteps: steps });
}
