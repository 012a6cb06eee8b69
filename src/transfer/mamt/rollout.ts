/**
 * Batched rollouts for the policy-gradient inner loop: E copies of one task's env play one
 * episode each, and the live ones share one forward pass per step (the engine's per-op overhead
 * dominates small networks, so batching is most of the speed). Single-agent Gymnasium envs and
 * PettingZoo parallel envs with a shared policy (parameter sharing, agent-id inputs: see
 * features.ts) give the same Batch: one row per agent-step.
 *
 * Episodes are finite-horizon (the env's TimeLimit, or `horizon`): a truncated episode is treated
 * as the end of the task, as in MAML's RL experiments, so returns need no bootstrap value.
 */
import { Generator, noGrad, Tensor, ValueError } from '../../core/index.js';
import type { Env } from '../../rl/env.js';
import type { ParallelEnv } from '../../rl/parallel-env.js';
import { make, makeParallel } from '../../rl/registry.js';
import {
  flattenObservation,
  observationDim,
  type PolicyNetwork,
} from '../../rl/algos/common/index.js';
import { Discrete } from '../../rl/spaces/index.js';
import type { Featurizer } from './features.js';

export interface EpisodeSummary {
  /** Undiscounted return (summed over agents for multi-agent envs: the team return). */
  return: number;
  /** Env steps. */
  length: number;
}

/** Agent-steps of a batch of episodes, flattened; `returns` are discounted rewards-to-go. */
export interface Batch {
  dim: number;
  obs: Float32Array;
  actions: Int32Array;
  returns: Float64Array;
  /** Step index within its trajectory (for the baseline's time features). */
  time: Int32Array;
  episodes: EpisodeSummary[];
  envSteps: number;
}

/** Accumulates trajectories (one agent's steps in one episode) into a Batch. */
class BatchBuilder {
  private obs: number[] = [];
  private actions: number[] = [];
  private returns: number[] = [];
  private time: number[] = [];
  readonly episodes: EpisodeSummary[] = [];
  envSteps = 0;

  constructor(
    readonly dim: number,
    readonly gamma: number,
  ) {}

  addTrajectory(obs: number[], actions: number[], rewards: number[]): void {
    const T = rewards.length;
    const ret = new Array<number>(T);
    let g = 0;
    for (let t = T - 1; t >= 0; t--) {
      g = rewards[t] + this.gamma * g;
      ret[t] = g;
    }
    for (const v of obs) this.obs.push(v);
    for (let t = 0; t < T; t++) {
      this.actions.push(actions[t]);
      this.returns.push(ret[t]);
      this.time.push(t);
    }
  }

  build(): Batch {
    return {
      dim: this.dim,
      obs: Float32Array.from(this.obs),
      actions: Int32Array.from(this.actions),
      returns: Float64Array.from(this.returns),
      time: Int32Array.from(this.time),
      episodes: this.episodes,
      envSteps: this.envSteps,
    };
  }
}

/** Episodes of one task, collected E at a time. */
export interface TaskEnvs {
  readonly inputDim: number;
  readonly actions: number;
  collect(policy: PolicyNetwork, rng: Generator, gamma: number): Batch;
  close(): void;
}

function sampleRows(
  policy: PolicyNetwork,
  x: Float32Array,
  rows: number,
  dim: number,
  rng: Generator,
): Int32Array {
  return noGrad(() => {
    const dist = policy.distribution(new Tensor(x.subarray(0, rows * dim), [rows, dim]));
    return dist.sample(rng).data as Int32Array;
  });
}

function discrete(where: string, space: unknown): Discrete {
  if (!(space instanceof Discrete)) {
    throw new ValueError(`${where}: the policy-gradient meta-learners need Discrete actions`);
  }
  return space;
}

/** E single-agent envs of one task. */
export class SingleTaskEnvs implements TaskEnvs {
  readonly inputDim: number;
  readonly actions: number;
  private readonly envs: Env<unknown, unknown>[];
  private readonly space: Discrete;

  constructor(
    envId: string,
    options: Record<string, unknown>,
    count: number,
    horizon: number | null,
  ) {
    if (!Number.isInteger(count) || count < 1) {
      throw new ValueError(
        `SingleTaskEnvs: episodes per batch must be a positive integer, got ${count}`,
      );
    }
    const args = {
      disableEnvChecker: true,
      ...(horizon !== null ? { maxEpisodeSteps: horizon } : {}),
    };
    this.envs = Array.from({ length: count }, () => make(envId, options, args));
    this.inputDim = observationDim(this.envs[0].observationSpace);
    this.space = discrete(envId, this.envs[0].actionSpace);
    this.actions = this.space.n;
  }

  collect(policy: PolicyNetwork, rng: Generator, gamma: number): Batch {
    const D = this.inputDim;
    const E = this.envs.length;
    const out = new BatchBuilder(D, gamma);
    const obs: Float32Array[] = [];
    const traj = this.envs.map(() => ({
      obs: [] as number[],
      act: [] as number[],
      rew: [] as number[],
    }));
    const live: number[] = [];
    this.envs.forEach((env, e) => {
      const o = env.reset({ seed: rng.int(2 ** 31) }).observation;
      obs[e] = Float32Array.from(flattenObservation(env.observationSpace, o));
      live.push(e);
    });
    const x = new Float32Array(E * D);
    const returns = new Array<number>(E).fill(0);
    while (live.length > 0) {
      live.forEach((e, r) => x.set(obs[e], r * D));
      const a = sampleRows(policy, x, live.length, D, rng);
      const still: number[] = [];
      live.forEach((e, r) => {
        const env = this.envs[e];
        const step = env.step(this.space.start + a[r]);
        const t = traj[e];
        for (const v of obs[e]) t.obs.push(v);
        t.act.push(a[r]);
        t.rew.push(step.reward);
        returns[e] += step.reward;
        out.envSteps += 1;
        if (step.terminated || step.truncated) {
          out.addTrajectory(t.obs, t.act, t.rew);
          out.episodes.push({ return: returns[e], length: t.rew.length });
        } else {
          obs[e] = Float32Array.from(flattenObservation(env.observationSpace, step.observation));
          still.push(e);
        }
      });
      live.splice(0, live.length, ...still);
    }
    return out.build();
  }

  close(): void {
    for (const env of this.envs) env.close();
  }
}

/** E parallel (multi-agent) envs of one task; every agent acts through one shared policy. */
export class ParallelTaskEnvs implements TaskEnvs {
  readonly inputDim: number;
  readonly actions: number;
  private readonly envs: ParallelEnv<unknown, unknown>[];
  private readonly space: Discrete;

  constructor(
    envId: string,
    options: Record<string, unknown>,
    count: number,
    private readonly featurizer: Featurizer,
  ) {
    if (!Number.isInteger(count) || count < 1) {
      throw new ValueError(
        `ParallelTaskEnvs: episodes per batch must be a positive integer, got ${count}`,
      );
    }
    this.envs = Array.from({ length: count }, () =>
      makeParallel(envId, options, { disableEnvChecker: true }),
    );
    const first = this.envs[0];
    this.space = discrete(envId, first.actionSpace(first.possibleAgents[0]));
    this.actions = this.space.n;
    for (const a of first.possibleAgents) {
      if (!discrete(envId, first.actionSpace(a)).equals(this.space)) {
        throw new ValueError(
          `${envId}: a shared policy needs the same action space for every agent`,
        );
      }
    }
    this.inputDim = featurizer.dim;
  }

  collect(policy: PolicyNetwork, rng: Generator, gamma: number): Batch {
    const D = this.inputDim;
    const out = new BatchBuilder(D, gamma);
    const obs = this.envs.map((env) => env.reset({ seed: rng.int(2 ** 31) }).observations);
    const traj = this.envs.map(
      () => new Map<string, { obs: number[]; act: number[]; rew: number[] }>(),
    );
    const team = new Array<number>(this.envs.length).fill(0);
    const length = new Array<number>(this.envs.length).fill(0);
    const maxRows = this.envs.reduce((n, env) => n + env.possibleAgents.length, 0);
    const x = new Float32Array(maxRows * D);
    const done = new Array<boolean>(this.envs.length).fill(false);
    for (;;) {
      const rows: { e: number; agent: string }[] = [];
      this.envs.forEach((env, e) => {
        if (done[e]) return;
        for (const agent of env.agents) {
          this.featurizer.write(agent, obs[e][agent], x, rows.length * D);
          rows.push({ e, agent });
        }
      });
      if (rows.length === 0) break;
      const a = sampleRows(policy, x, rows.length, D, rng);
      const actions = this.envs.map(() => ({}) as Record<string, unknown>);
      rows.forEach(({ e, agent }, r) => {
        actions[e][agent] = this.space.start + a[r];
        let t = traj[e].get(agent);
        if (!t) traj[e].set(agent, (t = { obs: [], act: [], rew: [] }));
        for (let d = 0; d < D; d++) t.obs.push(x[r * D + d]);
        t.act.push(a[r]);
      });
      this.envs.forEach((env, e) => {
        if (done[e]) return;
        const step = env.step(actions[e]);
        out.envSteps += 1;
        length[e] += 1;
        for (const [agent, rew] of Object.entries(step.rewards)) {
          traj[e].get(agent)?.rew.push(rew);
          team[e] += rew;
        }
        obs[e] = step.observations;
        if (env.agents.length === 0) {
          done[e] = true;
          for (const t of traj[e].values()) out.addTrajectory(t.obs, t.act, t.rew);
          out.episodes.push({ return: team[e], length: length[e] });
        }
      });
    }
    return out.build();
  }

  close(): void {
    for (const env of this.envs) env.close();
  }
}
