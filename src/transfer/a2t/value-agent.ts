/**
 * A trained A2T agent with a DQN learner (value transfer): acts greedily (or epsilon-greedily) on
 * the mixed Q_T, and saves as an Osmosis agent checkpoint with algo 'a2t':
 *   networks     q_network (attention.*, base.*, learned maps sources.<i>.*)
 *   hyperparams  the DQN config plus {a2t: {attentionHidden, baseLossCoef, learner: 'dqn'}}
 *   extra.sources  as the PPO learner's: the frozen sources are reloaded from their folders.
 */
import { CheckpointError, Generator, noGrad, Tensor } from '../../core/index.js';
import {
  flattenObservation,
  restoreNetworks,
  saveAgentCheckpoint,
  type SeedableAgent,
} from '../../rl/algos/common/index.js';
import { dqnSchema, type DQNHyperparams } from '../../rl/algos/dqn.js';
import type { Discrete, Space } from '../../rl/spaces/index.js';
import { A2T_ALGO, readA2TCheckpoint, type A2TSettings, type A2TSourceRecord } from './agent.js';
import { envSpacesOf, requireDiscreteTarget } from './source-policy.js';
import { buildA2TQNetworks, type A2TQNetwork } from './value.js';

export class A2TValueAgent implements SeedableAgent {
  readonly algo = A2T_ALGO;
  private rng: Generator;
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Discrete;

  constructor(
    readonly envId: string,
    readonly envOptions: Record<string, unknown>,
    readonly hyperparams: DQNHyperparams,
    readonly network: A2TQNetwork,
    readonly sources: A2TSourceRecord[],
    readonly settings: A2TSettings,
    seed = 0,
  ) {
    this.rng = new Generator(seed);
    const spaces = envSpacesOf(envId, envOptions);
    this.observationSpace = spaces.observationSpace;
    this.actionSpace = requireDiscreteTarget('a2t (dqn)', spaces);
  }

  seed(seed: number): void {
    this.rng = new Generator(seed);
  }

  private input(observation: unknown): Tensor {
    const flat = Float32Array.from(flattenObservation(this.observationSpace, observation));
    return new Tensor(flat, [1, flat.length]);
  }

  /** Q_T(s, .) for one observation. */
  qValues(observation: unknown): Float32Array {
    return noGrad(() => Float32Array.from(this.network.forward(this.input(observation)).data));
  }

  /** Greedy, or (deterministic false, as DQNAgent) epsilon-greedy with the final epsilon. */
  act(observation: unknown, options: { deterministic?: boolean } = {}): number {
    if (!options.deterministic && this.rng.uniform() < this.hyperparams.endEpsilon) {
      return this.actionSpace.sample(this.rng);
    }
    const q = this.qValues(observation);
    let best = 0;
    for (let a = 1; a < q.length; a++) if (q[a] > q[best]) best = a;
    return this.actionSpace.start + best;
  }

  /** Attention weights for one observation, by component name. */
  attention(observation: unknown): Record<string, number> {
    const w = this.network.meanWeights(this.input(observation));
    return Object.fromEntries(this.network.components.map((n, k) => [n, w[k]]));
  }

  async save(dir: string): Promise<void> {
    await saveAgentCheckpoint(dir, {
      algo: A2T_ALGO,
      envId: this.envId,
      envOptions: this.envOptions,
      observationSpace: this.observationSpace,
      actionSpace: this.actionSpace,
      hyperparams: {
        ...(this.hyperparams as unknown as Record<string, unknown>),
        a2t: { ...this.settings, learner: 'dqn' },
      },
      networks: { q_network: this.network },
      extra: { sources: this.sources as unknown as Record<string, unknown>[] },
    });
  }
}

/** Load an A2T checkpoint with a DQN learner, reloading each source from its folder. */
export async function loadA2TValueAgent(dir: string): Promise<A2TValueAgent> {
  const { ckpt, hyperparams, settings, records, sources } = await readA2TCheckpoint(dir, 'dqn');
  const hp = dqnSchema.safeParse(hyperparams);
  if (!hp.success) {
    throw new CheckpointError(`${dir}/config.json: field 'hyperparams': not a DQN config`);
  }
  const fresh = new Generator(0);
  const { online } = buildA2TQNetworks(
    {
      envId: ckpt.config.envId,
      envOptions: ckpt.config.envOptions,
      hp: hp.data,
      sources,
      attentionHidden: settings.attentionHidden,
    },
    { init: null, attention: fresh, maps: fresh },
  );
  restoreNetworks(ckpt, { q_network: online });
  return new A2TValueAgent(
    ckpt.config.envId,
    ckpt.config.envOptions,
    hp.data,
    online,
    records,
    settings,
  );
}
