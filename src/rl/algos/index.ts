/*
 * Registers every built-in learning algorithm (each file calls registerAlgorithm when imported)
 * and exports the public API. Import this file, not the algorithm files one by one, so the
 * registry is complete.
 */
import './dqn.js';
import './reinforce.js';
import './ppo.js';
import './marl/index.js';

export * from './types.js';
export { getAlgorithm, registerAlgorithm, registeredAlgorithms } from './registry.js';
export * from './common/index.js';
export * from './buffers/index.js';
export {
  DQNAgent,
  dqnRegistration,
  dqnSchema,
  loadDQN,
  trainDQN,
  type DQNHyperparams,
} from './dqn.js';
export {
  ReinforceAgent,
  loadReinforce,
  reinforceRegistration,
  reinforceSchema,
  trainReinforce,
  type ReinforceHyperparams,
} from './reinforce.js';
