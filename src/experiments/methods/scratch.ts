/**
 * The 'scratch' method: an RL algorithm trained from a fresh initialisation on the target env.
 * It is the baseline transfer methods are measured against (Taylor & Stone's "no transfer").
 */
import { z } from 'zod';
import { getAlgorithm } from '../../rl/algos/registry.js';
import { loadRlRegistries } from '../rl-registries.js';
import { registerMethod } from '../methods.js';

registerMethod({
  kind: 'scratch',
  summary: 'train an RL algorithm from scratch on the target env (the usual baseline)',
  usesAlgorithm: true,
  schema: z.object({ algo: z.string() }).strict(),
  async run({ config, experiment, seed, outDir, onProgress, onEpisode }) {
    await loadRlRegistries();
    const result = await getAlgorithm(config.algo!).train({
      envId: experiment.env.id,
      envOptions: experiment.env.options,
      seed,
      totalSteps: config.totalSteps,
      hyperparams: config.hyperparams,
      outDir,
      onProgress,
      onEpisode,
    });
    await result.agent.save(outDir);
    // No timings in the result: results must be identical across reruns and worker counts.
    return { episodes: result.episodes, checkpointDir: outDir };
  },
});
