import { z } from 'zod';
import { ppoUpdateShape } from '../ppo/config.js';

/**
 * Hyperparameters of the multi-agent PPO learners (ippo, ppo-shared, mappo): PPO's update
 * settings plus the rollout shape over `numEnvs` copies of a PettingZoo parallel env.
 */
export const marlSchema = z
  .object({
    /** Copies of the parallel env stepped in turn; the batch is numEnvs * numSteps * agents. */
    numEnvs: z.number().int().positive().default(4),
    /** Env steps per copy per rollout. */
    numSteps: z.number().int().positive().default(50),
    ...ppoUpdateShape,
    learningRate: z.number().positive().default(1e-3),
    updateEpochs: z.number().int().positive().default(4),
    numMinibatches: z.number().int().positive().default(4),
    /** Off by default: with returns near -100 (SimpleSpread) a 0.2 clip lets V move 0.2 per update. */
    clipVloss: z.boolean().default(false),
    /**
     * Append a one-hot agent id to each shared network's input, so one set of weights can still
     * behave differently per agent (Terry et al. 2020). Ignored by ippo.
     */
    agentId: z.boolean().default(true),
    /**
     * mappo's critic input: 'state' uses env.state() where the env provides one, else the
     * concatenated observations of all agents; 'concat' always concatenates.
     */
    globalState: z.enum(['state', 'concat']).default('state'),
  })
  .strict();

export type MarlConfig = z.infer<typeof marlSchema>;

/**
 * Per-env overrides. The schema defaults were measured on SimpleSpread-v3 (see the report in
 * examples/simple-spread.ts), so it needs none.
 */
export const MARL_TUNED: Record<string, Partial<MarlConfig>> = {};
