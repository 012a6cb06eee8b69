/**
 * Multi-agent PPO on PettingZoo parallel envs, three ways (each a registered algorithm):
 * - `ippo`: independent learners, one PPO (actor and critic) per agent (de Witt et al. 2020);
 * - `ppo-shared`: parameter sharing, one network for all agents with a one-hot agent id appended
 *   to the observation (Terry et al. 2020; Gupta et al. 2017);
 * - `mappo`: shared actors on local observations and a centralised critic on the global state
 *   (Yu et al. 2022).
 */
import { registerAlgorithm } from '../registry.js';
import type { AlgorithmRegistration } from '../types.js';
import { loadMarlAgent } from './agent.js';
import { MARL_TUNED, marlSchema } from './config.js';
import type { MarlKind } from './layout.js';
import { trainMarl } from './trainer.js';

export { MarlAgent, loadMarlAgent, type GroupNets } from './agent.js';
export { marlSchema, MARL_TUNED, type MarlConfig } from './config.js';
export { InputLayout, type MarlKind, type Group } from './layout.js';
export { trainMarl, TEAM, type MarlTrainResult } from './trainer.js';
export { evaluateMultiAgent, randomTeamReturn, type MultiAgentEvaluation } from './evaluate.js';

function registration(name: MarlKind): AlgorithmRegistration<typeof marlSchema> {
  const reg: AlgorithmRegistration<typeof marlSchema> = {
    name,
    envKind: 'parallel',
    schema: marlSchema,
    tunedDefaults: MARL_TUNED,
    train: (options) => trainMarl(reg, options),
    load: (dir) => loadMarlAgent(name, dir),
  };
  return reg;
}

export const ippo = registration('ippo');
export const ppoShared = registration('ppo-shared');
export const mappo = registration('mappo');

for (const r of [ippo, ppoShared, mappo]) registerAlgorithm(r as unknown as AlgorithmRegistration);
