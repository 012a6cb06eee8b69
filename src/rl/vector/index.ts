export { SyncVectorEnv } from './sync.js';
export { AsyncVectorEnv, type AsyncVectorEnvOptions } from './async.js';
export {
  envSeed,
  type VectorResetArgs,
  type VectorResetResult,
  type VectorStepResult,
} from './types.js';
