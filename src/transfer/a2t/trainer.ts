/**
 * Training A2T (the paper's reading, Rajendran et al. 2017) with PPO as the target's learner:
 *
 * - the actor is A2TPolicy: attention over N frozen sources and a base policy; PPO's clipped
 *   surrogate on the mixed policy pi_T trains the attention network, the base (through its share
 *   of the mixture) and any learned maps; the sources stay bit-identical;
 * - the base is also trained on the task with its own loss (the paper updates K_B with the
 *   target's TD error on the actions pi_T took): here PPO's clipped surrogate on log pi_B with
 *   the same advantages, against pi_B at collection time, times `baseLossCoef`. Without it the
 *   base only learns in proportion to its attention weight and could never take over once the
 *   sources dominate;
 * - the critic is the target's own, as in PPO.
 * The mean attention weight per component over each rollout's states is recorded after every
 * rollout: the run's attention-over-time plot.
 */
import {
  ConfigError,
  gather,
  logSoftmax,
  noGrad,
  reshape,
  Tensor,
  type Generator,
} from '../../core/index.js';
import { CategoricalPolicy, observationDim } from '../../rl/algos/common/index.js';
import { buildPpoParts } from '../../rl/algos/ppo/agent.js';
import type { PpoConfig } from '../../rl/algos/ppo/config.js';
import { clippedPolicyLoss } from '../../rl/algos/ppo/losses.js';
import { runPpo } from '../../rl/algos/ppo.js';
import type { EpisodeRecord, TrainProgress } from '../../rl/algos/types.js';
import { A2TAgent, sourceRecords } from './agent.js';
import { A2TPolicy } from './attention.js';
import {
  buildSourcePolicies,
  checkLoopConfig,
  envSpacesOf,
  requireDiscreteTarget,
  type A2TSourceInput,
} from './source-policy.js';

/** What both A2T learners (PPO here, DQN in ./value-trainer.ts) take besides their own config. */
export interface A2TRunOptions {
  envId: string;
  envOptions: Record<string, unknown>;
  seed: number;
  totalSteps: number;
  sources: A2TSourceInput[];
  attentionHidden?: readonly number[];
  onEpisode?: (e: EpisodeRecord) => void;
  onProgress?: (p: TrainProgress) => void;
  /** Mean attention weight per component (sources by name, then 'base') after each update. */
  onAttention?: (globalStep: number, weights: Record<string, number>) => void;
}

/** What both A2T learners return: the agent, its episodes and the attention weights over time. */
export interface A2TRunResult<A> {
  agent: A;
  episodes: EpisodeRecord[];
  attention: { steps: number[]; series: Record<string, number[]> };
}

export interface A2TTrainOptions extends A2TRunOptions {
  cfg: PpoConfig;
  /** Weight of the base network's own PPO loss (default 1; 0: trained through the mixture only). */
  baseLossCoef?: number;
}

export type A2TTrainResult = A2TRunResult<A2TAgent>;

export function buildA2TPolicy(
  o: Pick<A2TTrainOptions, 'envId' | 'envOptions' | 'cfg' | 'sources' | 'attentionHidden'>,
  rngs: { init: Generator | null; attention: Generator; maps: Generator },
): { policy: A2TPolicy; critic: ReturnType<typeof buildPpoParts>['critic'] } {
  const target = envSpacesOf(o.envId, o.envOptions);
  const actionSpace = requireDiscreteTarget('a2t', target);
  const sources = buildSourcePolicies('a2t', o.sources, target, rngs.maps);
  const { actor, critic } = buildPpoParts(target.observationSpace, actionSpace, o.cfg, rngs.init);
  if (!(actor instanceof CategoricalPolicy))
    throw new ConfigError('a2t: the base must be a categorical policy');
  const policy = new A2TPolicy({
    obsDim: observationDim(target.observationSpace),
    actions: actionSpace.n,
    base: actor,
    sources,
    attentionHidden: o.attentionHidden,
    activation: o.cfg.activation,
    rng: rngs.attention,
  });
  return { policy, critic };
}

export async function trainA2T(o: A2TTrainOptions): Promise<A2TTrainResult> {
  checkLoopConfig('a2t', o.cfg);
  let policy: A2TPolicy | null = null;
  let names: string[] = [];
  const attention: A2TTrainResult['attention'] = { steps: [], series: {} };
  const baseCoef = o.baseLossCoef ?? 1;
  let baseOldLogp = new Float32Array(0);
  const mixture = (): A2TPolicy => policy!;

  const run = await runPpo(
    {
      envId: o.envId,
      envOptions: o.envOptions,
      seed: o.seed,
      totalSteps: o.totalSteps,
      hyperparams: { ...o.cfg },
      onEpisode: o.onEpisode,
      onProgress: o.onProgress,
    },
    {
      // The base and critic start as scratch's would (PPO's init stream); then attention, maps.
      setup: ({ initRng, rng }) => {
        const built = buildA2TPolicy(o, {
          init: initRng,
          attention: rng.spawn(),
          maps: rng.spawn(),
        });
        policy = built.policy;
        names = policy.components;
        attention.series = Object.fromEntries(names.map((n) => [n, [] as number[]]));
        return { networks: { actor: built.policy, critic: built.critic } };
      },
      distributionRows: (obs, indices) => mixture().distributionRows(obs, indices),
      afterRollout: ({ obs, actions, rows, globalStep }) => {
        const D = obs.length / Math.max(1, rows);
        const x = new Tensor(obs, [rows, D]);
        const w = mixture().meanWeights(x);
        attention.steps.push(globalStep);
        const record: Record<string, number> = {};
        names.forEach((n, k) => {
          attention.series[n].push(w[k]);
          record[n] = w[k];
        });
        o.onAttention?.(globalStep, record);
        mixture().cacheSources(x);
        if (baseCoef > 0) {
          baseOldLogp = noGrad(() => {
            const lp = logSoftmax(mixture().base.forward(x), -1);
            const a = new Tensor(Int32Array.from(actions), [rows, 1]);
            return Float32Array.from(gather(lp, 1, a).data);
          });
        }
      },
      extraLoss: ({ obs, actions, advantages, indices }) => {
        if (baseCoef === 0) return null;
        const n = indices.length;
        const old = new Float32Array(n);
        for (let r = 0; r < n; r++) old[r] = baseOldLogp[indices[r]];
        const p = mixture();
        const lp = logSoftmax(p.lastBaseLogits(obs) ?? p.base.forward(obs), -1);
        const newLogp = reshape(gather(lp, 1, reshape(actions, [n, 1])), [n]);
        const pl = clippedPolicyLoss(newLogp, new Tensor(old, [n]), advantages, o.cfg.clipCoef);
        return { loss: pl.loss.mul(baseCoef), stats: { baseLoss: pl.loss.item() } };
      },
    },
  );
  const agent = new A2TAgent(
    o.envId,
    o.envOptions,
    o.cfg,
    mixture(),
    run.critic,
    sourceRecords(o.sources),
    {
      attentionHidden: [...(o.attentionHidden ?? [64])],
      baseLossCoef: baseCoef,
    },
    o.seed,
  );
  return { agent, episodes: run.episodes, attention };
}
