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

/** The target's learner: PPO (policy transfer) or DQN (value transfer). */
export type A2TLearner = 'ppo' | 'dqn';

export interface A2TSettings {
  attentionHidden: number[];
  baseLossCoef: number;
  /** Absent in checkpoints written before value transfer existed: 'ppo'. */
  learner?: A2TLearner;
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

/** How the checkpoint records the sources a run was given. */
export function sourceRecords(
  sources: readonly {
    name: string;
    dir?: string;
    stateMap?: MappingInput;
    actionMap?: MappingInput;
    temperature?: number;
  }[],
): A2TSourceRecord[] {
  return sources.map((s) => ({
    name: s.name,
    dir: s.dir ?? null,
    stateMap: s.stateMap ?? { kind: 'identity' },
    actionMap: s.actionMap ?? { kind: 'identity' },
    temperature: s.temperature ?? 1,
  }));
}

async function loadSource(dir: string): Promise<Agent> {
  const config = await readCheckpointConfig(dir);
  return getAlgorithm(config.algo).load(dir);
}

/** An A2T checkpoint's parts both learners share, its sources loaded from their folders. */
export interface A2TCheckpoint {
  ckpt: Awaited<ReturnType<typeof loadAgentCheckpoint>>;
  /** The learner's hyperparameters (the `a2t` entry taken out), not yet validated. */
  hyperparams: Record<string, unknown>;
  settings: A2TSettings;
  records: A2TSourceRecord[];
  sources: (A2TSourceRecord & { dir: string; agent: Agent })[];
}

/** Read an A2T checkpoint of either learner; `learner` says which one the caller loads. */
export async function readA2TCheckpoint(dir: string, learner: A2TLearner): Promise<A2TCheckpoint> {
  const ckpt = await loadAgentCheckpoint(dir, { algo: A2T_ALGO });
  const where = `${dir}/config.json`;
  const { a2t, ...hyperparams } = ckpt.config.hyperparams as { a2t?: A2TSettings } & Record<
    string,
    unknown
  >;
  if (!a2t || !Array.isArray(a2t.attentionHidden) || typeof a2t.baseLossCoef !== 'number') {
    throw new CheckpointError(`${where}: field 'hyperparams.a2t': not an A2T config`);
  }
  const saved = a2t.learner ?? 'ppo';
  if (saved !== learner) {
    throw new CheckpointError(
      `${where}: field 'hyperparams.a2t.learner': the checkpoint's learner is '${saved}', expected '${learner}' (load it with ${saved === 'dqn' ? 'loadA2TValueAgent' : 'loadA2TAgent'})`,
    );
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
  return { ckpt, hyperparams, settings: a2t, records, sources };
}

/** Load an A2T checkpoint (PPO learner), reloading each source from the folder it records. */
export async function loadA2TAgent(dir: string): Promise<A2TAgent> {
  const { ckpt, hyperparams, settings, records, sources } = await readA2TCheckpoint(dir, 'ppo');
  const cfg = ppoSchema.safeParse(hyperparams);
  if (!cfg.success) {
    throw new CheckpointError(`${dir}/config.json: field 'hyperparams': not a PPO config`);
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
      attentionHidden: settings.attentionHidden,
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
    settings,
  );
}
