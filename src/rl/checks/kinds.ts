import { AECEnv } from '../aec-env.js';
import { Env } from '../env.js';
import { ParallelEnv } from '../parallel-env.js';

export type AnyKindEnv =
  Env<unknown, unknown> | ParallelEnv<unknown, unknown> | AECEnv<unknown, unknown>;

export function kindOf(env: AnyKindEnv): 'single' | 'parallel' | 'aec' {
  if (env instanceof Env) return 'single';
  if (env instanceof ParallelEnv) return 'parallel';
  if (env instanceof AECEnv) return 'aec';
  throw new TypeError(`not an Env, ParallelEnv or AECEnv: ${String(env)}`);
}
