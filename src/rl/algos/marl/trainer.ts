import { performance } from 'node:perf_hooks';
import { Generator, noGrad, Tensor } from '../../../core/index.js';
import { Adam } from '../../../optim/index.js';
import type { ParallelEnv } from '../../parallel-env.js';
import { makeParallel } from '../../registry.js';
import type { Space } from '../../spaces/index.js';
import { annealedLr, checkTrainOptions, resolveHyperparams, toEnvAction } from '../common/index.js';
import { computeGae } from '../ppo/gae.js';
import { ValueNormalizer } from '../ppo/normalize.js';
import { ppoUpdate, type PpoUpdateStats } from '../ppo/update.js';
import type { AlgorithmRegistration, EpisodeRecord, TrainOptions, TrainResult } from '../types.js';
import { buildGroupNets, MarlAgent } from './agent.js';
import type { marlSchema } from './config.js';
import { GroupBuffers } from './buffers.js';
import { InputLayout, probeStateDim, type MarlKind } from './layout.js';

/**
 * The rollout and update loop shared by ippo, ppo-shared and mappo, on `numEnvs` copies of a
 * PettingZoo parallel env. Each (env copy, agent) pair is one stream of the GAE; a stream's rows
 * are valid while its agent is live. An agent that leaves mid-episode (terminated or truncated
 * while others play on) has invalid rows until its env copy resets, which happens as soon as no
 * agent is left. Truncated agents are bootstrapped from their critic's value of the final
 * observation (and, for mappo, the final global state).
 *
 * `totalSteps` counts parallel env steps (one joint action of all live agents), summed over copies.
 * onEpisode receives one record per agent episode (`agent` set) and one per team episode
 * (`agent: TEAM`, return summed over agents, length in env steps).
 */
export const TEAM = '__team__';

type AnyParallelEnv = ParallelEnv<unknown, unknown>;

export interface MarlTrainResult extends TrainResult {
  agent: MarlAgent;
  timings: { rolloutSeconds: number; updateSeconds: number };
}

export async function trainMarl(
  registration: AlgorithmRegistration<typeof marlSchema>,
  options: TrainOptions,
): Promise<MarlTrainResult> {
  const start = performance.now();
  const kind = registration.name as MarlKind;
  checkTrainOptions(kind, options);
  const cfg = resolveHyperparams(registration, options.envId, options.hyperparams);
  const envOptions = options.envOptions ?? {};
  const E = cfg.numEnvs;
  const T = cfg.numSteps;
  const envs: AnyParallelEnv[] = [];
  try {
    for (let e = 0; e < E; e++) envs.push(makeParallel(options.envId, envOptions));
    // Observations of each copy's live agents.
    const obs: Record<string, unknown>[] = envs.map(
      (env, e) => env.reset({ seed: options.seed + e }).observations,
    );
    const possible = envs[0].possibleAgents;
    const observationSpaces: Record<string, Space<unknown>> = {};
    const actionSpaces: Record<string, Space<unknown>> = {};
    for (const a of possible) {
      observationSpaces[a] = envs[0].observationSpace(a);
      actionSpaces[a] = envs[0].actionSpace(a);
    }
    const central = kind === 'mappo';
    const layout = new InputLayout({
      kind,
      agents: possible,
      observationSpaces,
      actionSpaces,
      agentId: cfg.agentId,
      stateDim: central && cfg.globalState === 'state' ? probeStateDim(envs[0]) : null,
    });
    const root = new Generator(options.seed);
    const initRng = root.spawn();
    const actRng = root.spawn();
    const shuffleRng = root.spawn();
    const nets = buildGroupNets(layout, cfg, initRng);
    const optimizers = nets.map(
      (n) =>
        new Adam([...n.actor.parameters(), ...n.critic.parameters()], {
          lr: cfg.learningRate,
          eps: cfg.adamEps,
        }),
    );
    const bufs = layout.groups.map((g) => new GroupBuffers(g, E, T, central));
    const valueNorms = nets.map(() => (cfg.normalizeValue ? new ValueNormalizer() : null));

    const episodes: EpisodeRecord[] = [];
    const epReturn: Map<string, number>[] = envs.map(() => new Map());
    const agentLength: Map<string, number>[] = envs.map(() => new Map());
    const envLength = new Int32Array(E);
    let pendingTeam = 0;
    let pendingCount = 0;
    const record = (rec: EpisodeRecord): void => {
      episodes.push(rec);
      options.onEpisode?.(rec);
    };

    /** Row of (env e, agent) within its group at step t. */
    const rowOf = (t: number, e: number, agent: string): { g: number; k: number } => {
      const { group, slot } = layout.locate(agent);
      return {
        g: group,
        k: t * bufs[group].streams + e * layout.groups[group].agents.length + slot,
      };
    };
    /** Critic value of (agent, observation, global) for a batch of rows, per group. */
    const criticValues = (
      items: { agent: string; obs: unknown; global: Float32Array | null }[],
    ): Float64Array => {
      const out = new Float64Array(items.length);
      nets.forEach((n, gi) => {
        const mine = items
          .map((it, i) => ({ ...it, i }))
          .filter((it) => layout.locate(it.agent).group === gi);
        if (mine.length === 0) return;
        const d = layout.groups[gi].criticDim;
        const x = new Float32Array(mine.length * d);
        mine.forEach((it, r) => {
          if (central) layout.writeCriticInput(it.agent, it.global!, x, r * d);
          else layout.writeActorInput(it.agent, it.obs, x, r * d);
        });
        const v = noGrad(() => n.critic.forward(new Tensor(x, [mine.length, d])).data);
        mine.forEach((it, r) => (out[it.i] = v[r]));
      });
      return out;
    };

    const numUpdates = Math.max(1, Math.ceil(options.totalSteps / (E * T)));
    let globalStep = 0;
    const stats: (PpoUpdateStats | null)[] = nets.map(() => null);
    const timings = { rolloutSeconds: 0, updateSeconds: 0 };
    for (let update = 1; update <= numUpdates; update++) {
      const lr = cfg.annealLr ? annealedLr(cfg.learningRate, update, numUpdates) : cfg.learningRate;
      for (const o of optimizers) o.paramGroups[0].lr = lr;
      const t0 = performance.now();
      for (const b of bufs) b.valid.fill(0);
      for (let t = 0; t < T; t++) {
        // Inputs of every live agent; dead agents' rows stay zero and invalid.
        for (const b of bufs) {
          const lo = t * b.streams;
          b.actorObs.fill(0, lo * b.group.actorDim, (lo + b.streams) * b.group.actorDim);
          if (central)
            b.criticObs.fill(0, lo * b.group.criticDim, (lo + b.streams) * b.group.criticDim);
          b.rewards.fill(0, lo, lo + b.streams);
          b.term.fill(0, lo, lo + b.streams);
          b.trunc.fill(0, lo, lo + b.streams);
        }
        for (let e = 0; e < E; e++) {
          const global = central ? layout.globalInput(envs[e], obs[e]) : null;
          for (const a of envs[e].agents) {
            const { g, k } = rowOf(t, e, a);
            const b = bufs[g];
            b.valid[k] = 1;
            layout.writeActorInput(a, obs[e][a], b.actorObs, k * b.group.actorDim);
            if (central) layout.writeCriticInput(a, global!, b.criticObs, k * b.group.criticDim);
          }
        }
        // One forward per group over all of its streams.
        const sampled = bufs.map((b, gi) => {
          const lo = t * b.streams;
          const { actorDim: dA, criticDim: dC } = b.group;
          const x = new Tensor(b.actorObs.subarray(lo * dA, (lo + b.streams) * dA), [
            b.streams,
            dA,
          ]);
          const xc = central
            ? new Tensor(b.criticObs.subarray(lo * dC, (lo + b.streams) * dC), [b.streams, dC])
            : x;
          return noGrad(() => {
            const dist = nets[gi].actor.distribution(x);
            const a = dist.sample(actRng);
            b.actions.set(a.data, lo * b.actionDim);
            b.logp.set(dist.logProb(a).data, lo);
            b.values.set(nets[gi].critic.forward(xc).data, lo);
            return a;
          });
        });
        // Step every copy; collect truncated agents to bootstrap.
        const boots: {
          agent: string;
          obs: unknown;
          global: Float32Array | null;
          g: number;
          k: number;
        }[] = [];
        for (let e = 0; e < E; e++) {
          const env = envs[e];
          const actions: Record<string, unknown> = {};
          for (const a of env.agents) {
            const { g, k } = rowOf(t, e, a);
            actions[a] = toEnvAction(
              layout.groups[g].actionSpace,
              sampled[g],
              k - t * bufs[g].streams,
            );
          }
          const res = env.step(actions);
          envLength[e] += 1;
          let finalGlobal: Float32Array | null = null;
          for (const a of Object.keys(res.rewards)) {
            const { g, k } = rowOf(t, e, a);
            const b = bufs[g];
            const r = res.rewards[a];
            const term = res.terminations[a];
            const trunc = res.truncations[a];
            b.rewards[k] = r;
            b.term[k] = term || (trunc && !cfg.bootstrapTruncated) ? 1 : 0;
            b.trunc[k] = trunc ? 1 : 0;
            epReturn[e].set(a, (epReturn[e].get(a) ?? 0) + r);
            agentLength[e].set(a, (agentLength[e].get(a) ?? 0) + 1);
            if (term || trunc) {
              record({
                globalStep: globalStep + e + 1,
                episodicReturn: epReturn[e].get(a)!,
                episodicLength: agentLength[e].get(a)!,
                agent: a,
              });
              if (trunc && !term && cfg.bootstrapTruncated) {
                // The final global input sees every agent that acted in this step.
                if (central && finalGlobal === null)
                  finalGlobal = layout.globalInput(env, res.observations);
                boots.push({ agent: a, obs: res.observations[a], global: finalGlobal, g, k });
              }
            }
          }
          if (env.agents.length === 0) {
            let team = 0;
            for (const v of epReturn[e].values()) team += v;
            record({
              globalStep: globalStep + e + 1,
              episodicReturn: team,
              episodicLength: envLength[e],
              agent: TEAM,
            });
            pendingTeam += team;
            pendingCount += 1;
            epReturn[e].clear();
            agentLength[e].clear();
            envLength[e] = 0;
            obs[e] = env.reset().observations;
          } else obs[e] = liveObs(res.observations, env);
        }
        globalStep += E;
        if (boots.length > 0) {
          const v = criticValues(boots);
          boots.forEach((it, i) => (bufs[it.g].boot[it.k] = v[i]));
        }
      }
      // Values after the rollout for streams whose agent is still live.
      const last = bufs.map((b) => new Float64Array(b.streams));
      const items: {
        agent: string;
        obs: unknown;
        global: Float32Array | null;
        g: number;
        s: number;
      }[] = [];
      for (let e = 0; e < E; e++) {
        const global = central ? layout.globalInput(envs[e], obs[e]) : null;
        for (const a of envs[e].agents) {
          const { g, k } = rowOf(0, e, a);
          items.push({ agent: a, obs: obs[e][a], global, g, s: k });
        }
      }
      const lv = criticValues(items);
      items.forEach((it, i) => (last[it.g][it.s] = lv[i]));
      const t1 = performance.now();
      bufs.forEach((b, gi) => {
        const vn = valueNorms[gi];
        const values = Float64Array.from(b.values);
        const boot = Float64Array.from(b.boot);
        vn?.denormalize(values);
        vn?.denormalize(boot);
        vn?.denormalize(last[gi]);
        const { advantages, returns } = computeGae({
          numSteps: T,
          numEnvs: b.streams,
          rewards: b.rewards,
          values,
          lastValues: last[gi],
          terminated: b.term,
          truncated: b.trunc,
          bootstrapValues: boot,
          valid: b.valid,
          gamma: cfg.gamma,
          gaeLambda: cfg.gaeLambda,
        });
        const batch = b.compact(values, advantages, returns);
        if (vn) {
          vn.update(batch.returns);
          vn.normalize(batch.values);
          vn.normalize(batch.returns);
        }
        stats[gi] = ppoUpdate(nets[gi], optimizers[gi], batch, cfg, shuffleRng, update);
      });
      const t2 = performance.now();
      timings.rolloutSeconds += (t1 - t0) / 1000;
      timings.updateSeconds += (t2 - t1) / 1000;
      if (options.onProgress) {
        const mean = (f: (s: PpoUpdateStats) => number): number =>
          stats.reduce((acc, s) => acc + (s ? f(s) : 0), 0) / stats.length;
        options.onProgress({
          globalStep,
          totalSteps: options.totalSteps,
          ...(pendingCount > 0 ? { episodicReturn: pendingTeam / pendingCount } : {}),
          metrics: {
            learningRate: lr,
            policyLoss: mean((s) => s.policyLoss),
            valueLoss: mean((s) => s.valueLoss),
            entropy: mean((s) => s.entropy),
            approxKl: mean((s) => s.approxKl),
            clipFraction: mean((s) => s.clipFraction),
            explainedVariance: mean((s) => s.explainedVariance),
          },
        });
        pendingTeam = 0;
        pendingCount = 0;
      }
    }
    const agent = new MarlAgent(kind, options.envId, envOptions, layout, nets, cfg, options.seed);
    agent.valueNormalizers = valueNorms;
    if (options.outDir) await agent.save(options.outDir);
    return { agent, episodes, seconds: (performance.now() - start) / 1000, timings };
  } finally {
    for (const env of envs) env.close();
  }
}

/** The observations of the agents still live in `env`. */
function liveObs(
  observations: Record<string, unknown>,
  env: AnyParallelEnv,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of env.agents) out[a] = observations[a];
  return out;
}
