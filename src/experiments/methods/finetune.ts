/**
 * The 'finetune' method kind: initialise the target agent from a pretrained source agent (same
 * algorithm, same spaces, same network shape) and train it on the target task with the
 * algorithm's usual loop — "plain fine-tuning", the transfer baseline every fancier method
 * should beat.
 *
 * through TrainOptions.initialCheckpoint, which dqn and ppo support (an algorithm that does not
 * would silently start from scratch, hence the list below). The random streams are the ones a
 * scratch run with the same seed draws, so the only difference from `scratch` is the start.
 * Exploration and learning-rate schedules restart as from scratch (DQN's epsilon starts at
 * startEpsilon again): set them in `hyperparams` for a gentler start.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { sourceSeedSchema, sourceUseSchema } from '../../transfer/a2t/config.js';
import { registerMethod, type MethodContext, type MethodResult } from '../methods.js';

export const finetuneSchema = z
  .object({
    algo: z.string(),
    /** The experiment source to start from (default: the only one). */
    source: sourceUseSchema.shape.source,
    sourceSeed: sourceSeedSchema,
  })
  .strict();

const SUPPORTED = ['dqn', 'ppo'];

export async function runFinetune(ctx: MethodContext): Promise<MethodResult> {
  const config = ctx.config as MethodContext['config'] & z.infer<typeof finetuneSchema>;
  if (!SUPPORTED.includes(config.algo)) {
    throw new ConfigError(
      `methods '${config.name}': finetune supports algo ${SUPPORTED.join(', ')}, got '${config.algo}' (it cannot start from given weights yet)`,
    );
  }
  const { loadRlRegistries } = await import('../rl-registries.js');
  await loadRlRegistries();
  const { getAlgorithm } = await import('../../rl/algos/registry.js');
  const { obtainSources } = await import('../../transfer/a2t/sources.js');
  const { experiment, seed, outDir } = ctx;
  const [source] = await obtainSources([{ source: config.source }], {
    experiment,
    method: config.name,
    seed,
    sourceSeed: config.sourceSeed,
    outDir,
    onEvent: ctx.onEvent,
  });
  if (source.algo !== config.algo) {
    throw new ConfigError(
      `methods '${config.name}': source '${source.name}' is a ${source.algo} agent; finetune with algo '${config.algo}' needs a ${config.algo} source`,
    );
  }
  const result = await getAlgorithm(config.algo).train({
    envId: experiment.env.id,
    envOptions: experiment.env.options,
    seed,
    totalSteps: config.totalSteps,
    hyperparams: config.hyperparams,
    initialCheckpoint: source.dir,
    outDir,
    onProgress: ctx.onProgress,
    onEpisode: ctx.onEpisode,
  });
  await result.agent.save(outDir);
  return { episodes: result.episodes, checkpointDir: outDir };
}

registerMethod({
  kind: 'finetune',
  summary:
    'initialise the target agent from a source checkpoint (same algo and spaces) and train it',
  usesAlgorithm: true,
  schema: finetuneSchema,
  run: runFinetune,
});
