export { EnvError, EnvCheckError } from './errors.js';
export * from './spaces/index.js';
export {
  Env,
  type EnvKind,
  type EnvMetadata,
  type EnvSpec,
  type Info,
  type ResetArgs,
  type ResetResult,
  type StepResult,
} from './env.js';
export { Wrapper, ObservationWrapper, RewardWrapper, ActionWrapper } from './wrapper.js';
export {
  ParallelEnv,
  ParallelWrapper,
  type AgentDict,
  type ParallelResetResult,
  type ParallelStepResult,
} from './parallel-env.js';
export { AECEnv, AgentSelector, type AECLast } from './aec-env.js';
export { AECWrapper } from './aec-wrapper.js';
export {
  parallelToAec,
  aecToParallel,
  ParallelToAECWrapper,
  AECToParallelWrapper,
} from './conversions.js';
export {
  register,
  unregister,
  make,
  makeParallel,
  makeAec,
  makeAny,
  spec,
  registeredIds,
  isRegistered,
  closeMatches,
  type EnvRegistration,
  type MakeArgs,
  type MadeEnv,
} from './registry.js';
export { EnvRandom, entropySeed } from './seeding.js';
export * from './wrappers/index.js';
export * from './envs/index.js';
export * from './checks/index.js';
export * from './vector/index.js';
export { benchCartPole, type BenchResult, type CartPoleBenchOptions } from './bench.js';
