/**
 * The 'distill' method kind: "A2T" as our source material describes it (and `a2t` with variant
 * distillation): a target agent trained jointly on its task loss and a scheduled
 * policy-distillation loss (Rusu et al. 2016; KL with temperature, or MSE on outputs) on states
 * the source policy visited. The student is PPO (`algo: ppo`, its clipped loss as the task loss;
 * `taskLoss: false` leaves pure policy distillation) or DQN (`algo: dqn`, its TD loss; teacher
 * states from the source's own env).
 */
import { z } from 'zod';
import {
  distillFieldsShape,
  sourceSeedSchema,
  sourceUseSchema,
  type SourceUse,
} from '../../transfer/a2t/config.js';
import { ConfigError } from '../../core/errors.js';
import type { DQNHyperparams } from '../../rl/algos/dqn.js';
import type { PpoConfig } from '../../rl/algos/ppo/config.js';
import { registerMethod, type MethodContext, type MethodResult } from '../methods.js';
import { jobSources, learnerConfig, savedResult } from './transfer-job.js';

export const distillSchema = z
  .object({
    /** The student's learner. */
    algo: z.enum(['ppo', 'dqn']).default('ppo'),
    /** The experiment source to distil (default: the only one). */
    source: sourceUseSchema.shape.source,
    stateMap: sourceUseSchema.shape.stateMap,
    actionMap: sourceUseSchema.shape.actionMap,
    sourceSeed: sourceSeedSchema,
    /** Train on the task loss too (joint optimisation); false: pure policy distillation. */
    taskLoss: z.boolean().default(true),
    ...distillFieldsShape,
  })
  .strict();

type DistillFields = z.infer<z.ZodObject<typeof distillFieldsShape>>;

export interface DistillRunOptions extends DistillFields, Omit<SourceUse, 'temperature'> {
  algo: 'ppo' | 'dqn';
  sourceSeed: 'job' | number;
  taskLossCoef: number;
}

export async function runDistillation(
  ctx: MethodContext,
  o: DistillRunOptions,
): Promise<MethodResult> {
  const { experiment, seed } = ctx;
  const [teacher] = await jobSources(ctx, [{ source: o.source }], o.sourceSeed);
  const common = {
    envId: experiment.env.id,
    envOptions: experiment.env.options,
    seed,
    totalSteps: ctx.config.totalSteps,
    teacher: teacher.agent,
    teacherName: o.name ?? teacher.name,
    teacherEnv: teacher.env,
    loss: o.loss,
    temperature: o.temperature,
    weight: o.weight,
    states: o.states,
    bufferSize: o.bufferSize,
    batchSize: o.batchSize,
    stateMap: o.stateMap,
    actionMap: o.actionMap,
    onEpisode: ctx.onEpisode,
    onProgress: ctx.onProgress,
    onUpdate: ({
      globalStep,
      weight,
      loss,
    }: {
      globalStep: number;
      weight: number;
      loss: number;
    }) =>
      ctx.onEvent({
        type: 'distillation',
        globalStep,
        weight,
        loss: Number.isFinite(loss) ? loss : null,
      }),
  };
  let result;
  if (o.algo === 'dqn') {
    if (o.taskLossCoef !== 1) {
      throw new ConfigError(
        `methods '${ctx.config.name}': a DQN student always trains on its TD loss; taskLoss: false (pure distillation) needs algo: ppo`,
      );
    }
    const { trainDistillationDqn } = await import('../../transfer/distill/dqn-trainer.js');
    result = await trainDistillationDqn({
      ...common,
      hp: await learnerConfig<DQNHyperparams>(ctx, 'dqn'),
    });
  } else {
    const { trainDistillation } = await import('../../transfer/distill/trainer.js');
    result = await trainDistillation({
      ...common,
      cfg: await learnerConfig<PpoConfig>(ctx, 'ppo'),
      taskLossCoef: o.taskLossCoef,
    });
  }
  const u = result.updates;
  return savedResult(
    ctx,
    result,
    [
      { name: 'distillation-weight', yLabel: 'w(t)', steps: u.steps, series: { weight: u.weight } },
      {
        name: 'distillation-loss',
        yLabel: `${o.loss} loss`,
        steps: u.steps,
        series: { loss: u.loss.map((v) => (Number.isFinite(v) ? v : NaN)) },
      },
    ],
    { bufferSteps: result.bufferSteps },
  );
}

registerMethod({
  kind: 'distill',
  summary:
    'joint policy distillation (Rusu et al. 2016) + task loss from a source agent (our source material\'s "A2T")',
  usesAlgorithm: true,
  schema: distillSchema,
  run: (ctx) => {
    const c = ctx.config as MethodContext['config'] & z.infer<typeof distillSchema>;
    return runDistillation(ctx, { ...c, taskLossCoef: c.taskLoss ? 1 : 0 });
  },
});
