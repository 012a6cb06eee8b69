/**
 * The 'a2t' method kind, in both readings of the name (docs/transfer.md explains the clash):
 *
 *   variant: attention     Attend, Adapt and Transfer (Rajendran et al., ICLR 2017): a state-
 *                          dependent attention network mixes frozen source policies and a base
 *                          policy learned from scratch; attention weights are logged over time.
 *   variant: distillation  "A2T" as our source material describes it: the target agent is trained
 *                          on its task loss plus a scheduled policy-distillation loss (Rusu et al.
 *                          2016) on states the source policy visited. Same as kind 'distill'.
 *
 * The variant has no default on purpose: the name alone does not say which method is meant.
 * The target learner is PPO (`algo: ppo`: policy transfer) or DQN (`algo: dqn`: for the attention
 * reading value transfer, Q_T = sum_i w_i(s) Q_i over DQN sources; for the distillation reading a
 * DQN student, its TD loss as the task loss); hyperparams are checked
 * by the learner's schema. Sources come from the experiment's `source` entries (pretrained once
 * per run and seed, or loaded).
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import {
  attentionFieldsShape,
  distillFieldsShape,
  sourceSeedSchema,
  sourceUseSchema,
} from '../../transfer/a2t/config.js';
import type { DQNHyperparams } from '../../rl/algos/dqn.js';
import type { PpoConfig } from '../../rl/algos/ppo/config.js';
import { registerMethod, type MethodContext, type MethodResult } from '../methods.js';
import { jobSources, learnerConfig, savedResult } from './transfer-job.js';

const distillKeys = Object.keys(distillFieldsShape);
const attentionKeys = Object.keys(attentionFieldsShape);
/** The fields without their defaults (zod 4 applies an inner default even under optional()). */
const optional = <T extends Record<string, z.ZodType>>(
  shape: T,
): Record<keyof T, z.ZodOptional<z.ZodType>> =>
  Object.fromEntries(
    Object.entries(shape).map(([k, v]) => [
      k,
      (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : v).optional(),
    ]),
  ) as Record<keyof T, z.ZodOptional<z.ZodType>>;

export const a2tSchema = z
  .object({
    /** The target's learner: ppo (policy transfer), or dqn (value transfer / a DQN student). */
    algo: z.enum(['ppo', 'dqn']).default('ppo'),
    variant: z.enum(['attention', 'distillation']),
    /** Sources to transfer from (default: every experiment source, identity maps). */
    sources: z.array(sourceUseSchema).min(1).optional(),
    sourceSeed: sourceSeedSchema,
    ...optional(attentionFieldsShape),
    ...optional(distillFieldsShape),
  })
  .strict();

/** The fields the entry set that belong to the other variant. */
function misplaced(config: Record<string, unknown>, keys: string[]): string[] {
  return keys.filter((k) => config[k] !== undefined);
}

export async function runA2T(ctx: MethodContext): Promise<MethodResult> {
  const config = ctx.config as MethodContext['config'] & z.infer<typeof a2tSchema>;
  const wrong = misplaced(config, config.variant === 'attention' ? distillKeys : attentionKeys);
  if (wrong.length > 0) {
    throw new ConfigError(
      `methods '${config.name}': ${wrong.map((k) => `'${k}'`).join(', ')} belong${wrong.length === 1 ? 's' : ''} to the other variant of a2t, not '${config.variant}'`,
    );
  }
  if (config.variant === 'distillation') {
    const { runDistillation } = await import('./distill.js');
    const fields = z.object(distillFieldsShape).parse(pick(config, distillKeys));
    const uses = config.sources ?? [{ temperature: fields.temperature }];
    if (uses.length === 1 && config.sources && uses[0].temperature !== 1) {
      throw new ConfigError(
        `methods '${config.name}': with variant distillation the teacher's temperature is the top-level 'temperature', not sources[0].temperature`,
      );
    }
    if (uses.length !== 1) {
      throw new ConfigError(
        `methods '${config.name}': the distillation reading distils one source, got ${uses.length}`,
      );
    }
    return runDistillation(ctx, {
      ...fields,
      ...uses[0],
      temperature: fields.temperature,
      algo: config.algo,
      sourceSeed: config.sourceSeed,
      taskLossCoef: 1,
    });
  }
  const fields = z.object(attentionFieldsShape).parse(pick(config, attentionKeys));
  return runAttention(ctx, config, fields);
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

async function runAttention(
  ctx: MethodContext,
  config: z.infer<typeof a2tSchema>,
  fields: z.infer<z.ZodObject<typeof attentionFieldsShape>>,
): Promise<MethodResult> {
  const { experimentSources, trainA2T, trainA2TDqn } = await import('../../transfer/a2t/index.js');
  const { experiment, seed } = ctx;
  const uses =
    config.sources ??
    experimentSources(experiment).map((s) => sourceUseSchema.parse({ source: s.name }));
  const obtained = await jobSources(ctx, uses, config.sourceSeed);
  const common = {
    envId: experiment.env.id,
    envOptions: experiment.env.options,
    seed,
    totalSteps: ctx.config.totalSteps,
    sources: uses.map((u, i) => ({
      name: u.name ?? obtained[i].name,
      agent: obtained[i].agent,
      dir: obtained[i].dir,
      stateMap: u.stateMap,
      actionMap: u.actionMap,
      temperature: u.temperature,
    })),
    attentionHidden: fields.attentionHidden,
    baseLossCoef: fields.baseLossCoef,
    onEpisode: ctx.onEpisode,
    onProgress: ctx.onProgress,
    onAttention: (globalStep: number, weights: Record<string, number>) =>
      ctx.onEvent({ type: 'attention', globalStep, weights }),
  };
  const result =
    config.algo === 'dqn'
      ? await trainA2TDqn({ ...common, hp: await learnerConfig<DQNHyperparams>(ctx, 'dqn') })
      : await trainA2T({ ...common, cfg: await learnerConfig<PpoConfig>(ctx, 'ppo') });
  return savedResult(ctx, result, [
    {
      name: 'attention',
      yLabel: 'mean attention weight',
      steps: result.attention.steps,
      series: result.attention.series,
    },
  ]);
}

registerMethod({
  kind: 'a2t',
  summary:
    "A2T; variant 'attention': Rajendran et al. 2017 (attention over frozen sources + a base), variant 'distillation': distillation + task loss (= kind distill)",
  usesAlgorithm: true,
  schema: a2tSchema,
  run: runA2T,
});
