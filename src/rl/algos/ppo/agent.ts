import { Generator, noGrad, Tensor } from '../../../core/index.js';
import type { MLP } from '../../../nn/index.js';
import type { Space } from '../../spaces/index.js';
import {
  flattenObservation,
  loadAgentCheckpoint,
  observationDim,
  restoreNetworks,
  saveAgentCheckpoint,
  toEnvAction,
  type PolicyNetwork,
  type SeedableAgent,
} from '../common/index.js';
import { ppoSchema, type PpoConfig } from './config.js';
import { makeActor, makeCritic } from './networks.js';
import { ObservationNormalizer, ValueNormalizer } from './normalize.js';

export const PPO_ALGO = 'ppo';

/** A trained PPO policy: the actor acts, the critic is kept for evaluation and fine-tuning. */
export class PpoAgent implements SeedableAgent {
  readonly algo = PPO_ALGO;
  private rng: Generator;

  constructor(
    readonly envId: string,
    readonly envOptions: Record<string, unknown>,
    readonly observationSpace: Space<unknown>,
    readonly actionSpace: Space<unknown>,
    readonly hyperparams: PpoConfig,
    readonly actor: PolicyNetwork,
    readonly critic: MLP,
    /** Running observation statistics when trained with normalizeObservation (frozen here). */
    readonly obsNormalizer: ObservationNormalizer | null,
    /** Return statistics when trained with normalizeValue: the critic's output scale. */
    readonly valueNormalizer: ValueNormalizer | null,
    seed = 0,
  ) {
    this.rng = new Generator(seed);
  }

  seed(seed: number): void {
    this.rng = new Generator(seed);
  }

  /** The network input for one raw observation: flattened and, if trained so, normalised. */
  input(observation: unknown): Tensor {
    const flat = Float32Array.from(flattenObservation(this.observationSpace, observation));
    this.obsNormalizer?.apply(flat, 1, false);
    return new Tensor(flat, [1, flat.length]);
  }

  act(observation: unknown, options: { deterministic?: boolean } = {}): unknown {
    return noGrad(() => {
      const dist = this.actor.distribution(this.input(observation));
      const a = options.deterministic ? dist.mode() : dist.sample(this.rng);
      return toEnvAction(this.actionSpace, a, 0);
    });
  }

  /** The critic's V(s) for one observation. */
  value(observation: unknown): number {
    const v = noGrad(() => Float64Array.from(this.critic.forward(this.input(observation)).data));
    this.valueNormalizer?.denormalize(v);
    return v[0];
  }

  async save(dir: string): Promise<void> {
    await saveAgentCheckpoint(dir, {
      algo: PPO_ALGO,
      envId: this.envId,
      envOptions: this.envOptions,
      observationSpace: this.observationSpace,
      actionSpace: this.actionSpace,
      hyperparams: this.hyperparams as unknown as Record<string, unknown>,
      networks: { actor: this.actor, critic: this.critic },
      extra: {
        ...(this.obsNormalizer ? { obsRms: this.obsNormalizer.toJSON() } : {}),
        ...(this.valueNormalizer ? { valueRms: this.valueNormalizer.toJSON() } : {}),
      },
    });
  }
}

/** Networks and normaliser for the spaces, initialised from `rng` (or left for a checkpoint). */
export function buildPpoParts(
  observationSpace: Space<unknown>,
  actionSpace: Space<unknown>,
  cfg: PpoConfig,
  rng: Generator | null,
): {
  actor: PolicyNetwork;
  critic: MLP;
  obsNormalizer: ObservationNormalizer | null;
  valueNormalizer: ValueNormalizer | null;
} {
  const dim = observationDim(observationSpace);
  const o = {
    hidden: cfg.hidden,
    activation: cfg.activation,
    rng: rng ?? undefined,
    skipInit: rng === null,
  };
  const actor = makeActor(dim, actionSpace, o);
  const critic = makeCritic(dim, o);
  const obsNormalizer = cfg.normalizeObservation
    ? new ObservationNormalizer(dim, cfg.clipObservation)
    : null;
  const valueNormalizer = cfg.normalizeValue ? new ValueNormalizer() : null;
  return { actor, critic, obsNormalizer, valueNormalizer };
}

export async function loadPpoAgent(dir: string): Promise<PpoAgent> {
  const ckpt = await loadAgentCheckpoint(dir, { algo: PPO_ALGO, schema: ppoSchema });
  const cfg = ckpt.hyperparams;
  const parts = buildPpoParts(ckpt.observationSpace, ckpt.actionSpace, cfg, null);
  restoreNetworks(ckpt, { actor: parts.actor, critic: parts.critic });
  if (parts.obsNormalizer) {
    parts.obsNormalizer.load(ckpt.config.extra?.obsRms, `${dir}/config.json: field 'extra.obsRms'`);
  }
  if (parts.valueNormalizer) {
    parts.valueNormalizer.load(
      ckpt.config.extra?.valueRms,
      `${dir}/config.json: field 'extra.valueRms'`,
    );
  }
  return new PpoAgent(
    ckpt.config.envId,
    ckpt.config.envOptions,
    ckpt.observationSpace,
    ckpt.actionSpace,
    cfg,
    parts.actor,
    parts.critic,
    parts.obsNormalizer,
    parts.valueNormalizer,
  );
}
