/**
 * A trained A2T agent (attention reading): acts with the mixed policy, and saves as an Osmosis
 * agent checkpoint with algo 'a2t':
 *   networks  policy (attention.*, base.*, learned maps sources.<i>.*), critic
 *   hyperparams  the PPO config plus {a2t: {attentionHidden, baseLossCoef}}
 *   extra.sources  [{name, dir, stateMap, actionMap, temperature}]: the frozen sources are not
 *                  copied; they are loaded again from their own checkpoint folders.
 */
import { CheckpointError, Generator, noGrad, Tensor } from '../../core/index.js';
import type { MLP } from '../../nn/index.js';
import {
  flattenObservation,
  loadAgentCheckpoint,
  readCheckpointConfig,
  restoreNetworks,
  saveAgentCheckpoint,
  toEnvAction,
  type SeedableAgent,
} from '../../rl/algos/common/index.js';
import { ppoSchema, type PpoConfig } from '../../rl/algos/ppo/config.js';
import { getAlgorithm } from '../../rl/algos/registry.js';
import type { Agent } from '../../rl/algos/types.js';
import type { Space } from '../../rl/spaces/index.js';
import { mappingSchema, type MappingInput } from '../mapping.js';
import type { A2TPolicy } from './attention.js';
import { envSpacesOf } from './source-policy.js';

export const A2T_ALGO = 'a2t';

export interface A2TSourceRecord {
  name: string;
  /** Checkpoint folder of the source; null when it was given in memory (then not reloadable). */
  dir: string | null;
  stateMap: MappingInput;
  actionMap: MappingInput;
  temperature: number;
}

export interface A2TSettings {
  attentionHidden: number[];
  baseLossCoef: number;
}

export class A2TAgent implements SeedableAgent {
  readonly algo = A2T_ALGO;
  private rng: Generator;
  readonly observationSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;

  constructor(
    readonly envId: string,
    readonly envOptions: Record<string, unknown>,
    readonly hyperparams: PpoConfig,
    readonly policy: A2TPolicy,
    readonly critic: MLP,
    readonly sources: A2TSourceRecord[],
    readonly settings: A2TSettings,
    seed = 0,
  ) {
    this.rng = new Generator(seed);
    const spaces = envSpacesOf(envId, envOptions);
    this.observationSpace = spaces.observationSpace;
    this.actionSpace = spaces.actionSpace;
  }

  seed(seed: number): void {
    this.rng = new Generator(seed);
  }

  act(observation: unknown, options: { deterministic?: boolean } = {}): unknown {
    const { observationSpace, actionSpace } = this;
    const flat = Float32Array.from(flattenObservation(observationSpace, observation));
    return noGrad(() => {
      const dist = this.policy.distribution(new Tensor(flat, [1, flat.length]));
      const a = options.deterministic ? dist.mode() : dist.sample(this.rng);
      return toEnvAction(actionSpace, a, 0);
    });
  }

  /** Attention weights for one observation, by component name. */
  attention(observation: unknown): Record<string, number> {
    const { observationSpace } = this;
    const flat = Float32Array.from(flattenObservation(observationSpace, observation));
    const w = this.policy.meanWeights(new Tensor(flat, [1, flat.length]));
    return Object.fromEntries(this.policy.components.map((n, k) => [n, w[k]]));
  }

  async save(dir: string): Promise<void> {
    const { observationSpace, actionSpace } = this;
    await saveAgentCheckpoint(dir, {
      algo: A2T_ALGO,
      envId: this.envId,
      envOptions: this.envOptions,
      observationSpace,
      actionSpace,
      hyperparams: {
        ...(this.hyperparams as unknown as Record<string, unknown>),
        a2t: this.settings,
      },
      networks: { policy: this.policy, critic: this.critic },
      extra: { sources: this.sources as unknown as Record<string, unknown>[] },
    });
  }
}

async function loadSource(dir: string): Promise<Agent> {
  const config = await readCheckpointConfig(dir);
  return getAlgorithm(config.algo).load(dir);
}

/** Load an A2T checkpoint, reloading each source from the folder it records. */
export async function loadA2TAgent(dir: string): Promise<A2TAgent> {
  const ckpt = await loadAgentCheckpoint(dir, { algo: A2T_ALGO });
  const where = `${dir}/config.json`;
  const { a2t, ...rest } = ckpt.config.hyperparams as { a2t?: A2TSettings } & Record<
    string,
    unknown
  >;
  const cfg = ppoSchema.safeParse(rest);
  if (
    !cfg.success ||
    !a2t ||
    !Array.isArray(a2t.attentionHidden) ||
    typeof a2t.baseLossCoef !== 'number'
  ) {
    throw new CheckpointError(`${where}: field 'hyperparams': not an A2T config`);
  }
  const records = ckpt.config.extra?.sources as A2TSourceRecord[] | undefined;
  if (!Array.isArray(records) || records.length === 0) {
    throw new CheckpointError(`${where}: field 'extra.sources': expected the list of sources`);
  }
  const sources = [];
  for (const [i, r] of records.entries()) {
    const ok =
      r !== null &&
      typeof r === 'object' &&
      typeof r.name === 'string' &&
      typeof r.dir === 'string' &&
      typeof r.temperature === 'number' &&
      mappingSchema.safeParse(r.stateMap).success &&
      mappingSchema.safeParse(r.actionMap).success;
    if (!ok) {
      throw new CheckpointError(
        `${where}: field 'extra.sources[${i}]': expected {name, dir, stateMap, actionMap, temperature} with a source folder`,
      );
    }
    sources.push({ ...r, dir: r.dir as string, agent: await loadSource(r.dir as string) });
  }
  // Imported here: trainer.ts imports this module for A2TAgent.
  const { buildA2TPolicy } = await import('./trainer.js');
  const fresh = new Generator(0);
  const { policy, critic } = buildA2TPolicy(
    {
      envId: ckpt.config.envId,
      envOptions: ckpt.config.envOptions,
      cfg: cfg.data,
      sources,
      attentionHidden: a2t.attentionHidden,
    },
    { init: fresh.spawn(), attention: fresh.spawn(), maps: fresh.spawn() },
  );
  restoreNetworks(ckpt, { policy, critic });
  return new A2TAgent(
    ckpt.config.envId,
    ckpt.config.envOptions,
    cfg.data,
    policy,
    critic,
    records,
    a2t,
  );
}
