/**
 * The distillation state buffer: states visited by the source (teacher) policy, with the
 * teacher's outputs on them computed once (the teacher is frozen and the maps are fixed, so its
 * targets never change). Rusu et al. 2016 distil on the teacher's own trajectories; here the
 * teacher runs
 *   'target': in the target env, through the state and action maps: these steps are target env
 *             interactions, and the distillation method charges them to its step budget;
 *   'source': in its own env (the source's own task): free for the target, but its observations
 *             must already be target observations (same space, identity state map);
 *   'both':   half of each.
 * The teacher samples its actions from softmax(outputs / temperature).
 */
import { ConfigError, Generator, Tensor } from '../../core/index.js';
import { flattenObservation, observationDim } from '../../rl/algos/common/index.js';
import type { Env } from '../../rl/env.js';
import { make } from '../../rl/registry.js';
import { Discrete } from '../../rl/spaces/index.js';
import type { SourcePolicy } from '../a2t/source-policy.js';
import { teacherPolicy } from './losses.js';

export type StateSource = 'target' | 'source' | 'both';

export class DistillationBuffer {
  readonly size: number;
  constructor(
    /** [size, obsDim] target observations. */
    readonly observations: Float32Array,
    /** [size, actions] teacher outputs (target actions, after the action map). */
    readonly teacherOutputs: Float32Array,
    readonly obsDim: number,
    readonly actions: number,
    /** Target env steps spent collecting (charged to the target's budget). */
    readonly targetSteps: number,
  ) {
    this.size = observations.length / obsDim;
    if (!Number.isInteger(this.size) || teacherOutputs.length !== this.size * actions) {
      throw new ConfigError(
        `DistillationBuffer: ${observations.length} observation values and ${teacherOutputs.length} outputs do not make rows of ${obsDim} / ${actions}`,
      );
    }
  }

  /** A uniform minibatch (with replacement): observations [n, D] and teacher outputs [n, A]. */
  sample(n: number, rng: Generator): { obs: Tensor; teacher: Tensor } {
    const D = this.obsDim;
    const A = this.actions;
    const obs = new Float32Array(n * D);
    const out = new Float32Array(n * A);
    for (let r = 0; r < n; r++) {
      const i = rng.int(this.size);
      obs.set(this.observations.subarray(i * D, i * D + D), r * D);
      out.set(this.teacherOutputs.subarray(i * A, i * A + A), r * A);
    }
    return { obs: new Tensor(obs, [n, D]), teacher: new Tensor(out, [n, A]) };
  }
}

export interface CollectOptions {
  teacher: SourcePolicy;
  target: { id: string; options: Record<string, unknown> };
  /** The teacher's own env (used by 'source' and 'both'). */
  source: { id: string; options: Record<string, unknown> };
  states: StateSource;
  /** States to collect in all. */
  size: number;
  /** Temperature of the teacher's acting policy. */
  temperature: number;
  rng: Generator;
}

/** Run the teacher and keep the states it visits with its outputs on them. */
export function collectTeacherStates(o: CollectOptions): DistillationBuffer {
  if (!Number.isInteger(o.size) || o.size < 1) {
    throw new ConfigError(`distillation buffer: size must be a positive integer, got ${o.size}`);
  }
  const fromSource =
    o.states === 'target' ? 0 : o.states === 'source' ? o.size : Math.floor(o.size / 2);
  const fromTarget = o.size - fromSource;
  const targetEnv = make(o.target.id, o.target.options);
  const D = observationDim(targetEnv.observationSpace);
  const actionSpace = targetEnv.actionSpace;
  targetEnv.close();
  if (!(actionSpace instanceof Discrete)) {
    throw new ConfigError('distillation buffer: the target env needs a Discrete action space');
  }
  const A = actionSpace.n;
  const obs = new Float32Array(o.size * D);
  const outs = new Float32Array(o.size * A);
  let row = 0;
  const run = (env: Env<unknown, unknown>, steps: number, actInTarget: boolean): void => {
    const space = env.observationSpace;
    const seedBase = o.rng.int(2 ** 31 - 1);
    let episode = 0;
    let cur = flattenObservation(space, env.reset({ seed: seedBase }).observation);
    for (let s = 0; s < steps; s++) {
      const x = new Tensor(Float32Array.from(cur), [1, D]);
      const targetOut = o.teacher.outputsNoGrad(x);
      obs.set(cur, row * D);
      outs.set(targetOut, row * A);
      row++;
      // In its own env the teacher acts on its own actions; in the target env on mapped ones.
      const scores = actInTarget ? targetOut : o.teacher.rawOutputsNoGrad(x);
      const p = teacherPolicy(scores, scores.length, o.temperature);
      const a = o.rng.categorical(p);
      const r = env.step((env.actionSpace as Discrete).start + a);
      if (r.terminated || r.truncated) {
        episode++;
        cur = flattenObservation(space, env.reset({ seed: seedBase + episode }).observation);
      } else cur = flattenObservation(space, r.observation);
    }
  };
  if (fromTarget > 0) {
    const env = make(o.target.id, o.target.options);
    try {
      run(env, fromTarget, true);
    } finally {
      env.close();
    }
  }
  if (fromSource > 0) {
    const env = make(o.source.id, o.source.options);
    try {
      const same =
        env.observationSpace.equals(o.teacher.sourceSpaces.observationSpace) &&
        observationDim(env.observationSpace) === D &&
        o.teacher.stateMap.kind === 'identity';
      if (!same) {
        throw new ConfigError(
          `distillation buffer: states from the source's own env (${o.source.id}) are not target observations (different space or a non-identity state map); use states: target`,
        );
      }
      run(env, fromSource, false);
    } finally {
      env.close();
    }
  }
  return new DistillationBuffer(obs, outs, D, A, fromTarget);
}
