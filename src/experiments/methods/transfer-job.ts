/**
 * The steps every source-based transfer job shares (a2t in both readings, distill): obtain the
 * sources, resolve the target learner's hyperparameters, and save the trained agent as the job's
 * result. Training code is imported on demand, so that registering the method kinds stays cheap.
 */
import type { Agent, EpisodeRecord } from '../../rl/algos/types.js';
import type { ObtainedSource, SourceRequest } from '../../transfer/a2t/sources.js';
import type { MethodContext, MethodResult, TimeSeries } from '../methods.js';

/** The experiment sources `requests` name, pretrained (once per run and seed) or loaded. */
export async function jobSources(
  ctx: MethodContext,
  requests: readonly SourceRequest[],
  sourceSeed: 'job' | number,
): Promise<ObtainedSource[]> {
  const { loadRlRegistries } = await import('../rl-registries.js');
  await loadRlRegistries();
  const { obtainSources } = await import('../../transfer/a2t/sources.js');
  return obtainSources(requests, {
    experiment: ctx.experiment,
    method: ctx.config.name,
    seed: ctx.seed,
    sourceSeed,
    outDir: ctx.outDir,
    onEvent: ctx.onEvent,
  });
}

/** The job's hyperparameters for `algo`: its schema's defaults and the env's tuned values filled in. */
export async function learnerConfig<T>(ctx: MethodContext, algo: string): Promise<T> {
  const { loadRlRegistries } = await import('../rl-registries.js');
  await loadRlRegistries();
  const { getAlgorithm } = await import('../../rl/algos/registry.js');
  const { resolveHyperparams } = await import('../../rl/algos/common/training.js');
  return resolveHyperparams(getAlgorithm(algo), ctx.experiment.env.id, ctx.config.hyperparams) as T;
}

/** Save the trained agent in the job's folder; the result carries its curve and time series. */
export async function savedResult(
  ctx: MethodContext,
  trained: { agent: Agent; episodes: EpisodeRecord[] },
  timeSeries: TimeSeries[],
  extra: Record<string, unknown> = {},
): Promise<MethodResult> {
  await trained.agent.save(ctx.outDir);
  return {
    episodes: trained.episodes,
    checkpointDir: ctx.outDir,
    extra: { ...extra, timeSeries },
  };
}
