/**
 * The zod schemas of the transfer method kinds' own fields (a2t, distill, finetune) and of the
 * mapping configs. Kept free of training code (zod and the error classes only), because the
 * experiment runner validates configs in the main thread before any job loads the trainers.
 */
import { z } from 'zod';
import { weightScheduleSchema } from '../distill/schedules.js';

export const mappingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('identity') }).strict(),
  z.object({ kind: z.literal('pad') }).strict(),
  z
    .object({ kind: z.literal('permutation'), order: z.array(z.number().int().min(0)).min(1) })
    .strict(),
  z.object({ kind: z.literal('linear') }).strict(),
  z
    .object({
      kind: z.literal('mlp'),
      hidden: z.array(z.number().int().positive()).min(1).default([32]),
      activation: z.enum(['relu', 'tanh']).default('tanh'),
    })
    .strict(),
]);
export type MappingConfig = z.infer<typeof mappingSchema>;
export type MappingInput = z.input<typeof mappingSchema>;

const slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'expected a source name');

/**
 * Which seed a pretrained source is trained with: 'job' (the job's seed, so seeds differ in their
 * source too and the confidence intervals include the source's variability) or a fixed seed (one
 * source shared by every job: cheaper).
 */
export const sourceSeedSchema = z
  .union([z.literal('job'), z.number().int().nonnegative()])
  .default('job');

/** One source as a method uses it: an experiment `source` entry, possibly mapped differently. */
export const sourceUseSchema = z
  .object({
    /** The experiment source's name (default: the only source). */
    source: slug.optional(),
    /** This component's name in logs and plots (default: the source's name). */
    name: slug.optional(),
    stateMap: mappingSchema.optional(),
    actionMap: mappingSchema.optional(),
    /** Softmax temperature turning the source's outputs into its policy. */
    temperature: z.number().positive().default(1),
  })
  .strict();
export type SourceUse = z.infer<typeof sourceUseSchema>;

/** Fields of the distillation reading (the `distill` kind, and `a2t` with variant distillation). */
export const distillFieldsShape = {
  loss: z.enum(['kl', 'mse']).default('kl'),
  /** Teacher temperature tau of the KL loss (Rusu et al. use 0.01 on DQN Q-values). */
  temperature: z.number().positive().default(1),
  /** Default measured on CartPole (docs/transfer.md): w0 = 1 barely moves a PPO student. */
  weight: weightScheduleSchema.default({ kind: 'linear', initial: 20 }),
  /** Where the teacher's states come from: the target env (charged to the budget), its own, both. */
  states: z.enum(['target', 'source', 'both']).default('target'),
  bufferSize: z.number().int().positive().default(2048),
  /** Teacher states per minibatch (default: the PPO minibatch size). */
  batchSize: z.number().int().positive().optional(),
};

/** Fields of the attention reading (`a2t` with variant attention). */
export const attentionFieldsShape = {
  attentionHidden: z.array(z.number().int().positive()).min(1).default([64]),
  /** Weight of the base network's own PPO loss. */
  baseLossCoef: z.number().nonnegative().default(1),
};
