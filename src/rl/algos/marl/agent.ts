import { CheckpointError, ConfigError, Generator, noGrad, Tensor } from '../../../core/index.js';
import type { MLP, Module } from '../../../nn/index.js';
import { Dict, type Space } from '../../spaces/index.js';
import {
  loadAgentCheckpoint,
  restoreNetworks,
  saveAgentCheckpoint,
  toEnvAction,
  type PolicyNetwork,
  type SeedableAgent,
} from '../common/index.js';
import { makeActor, makeCritic } from '../ppo/networks.js';
import { ValueNormalizer } from '../ppo/normalize.js';
import { marlSchema, type MarlConfig } from './config.js';
import { InputLayout, type MarlKind } from './layout.js';

/** The networks of one group: an actor and a critic. */
export interface GroupNets {
  actor: PolicyNetwork;
  critic: MLP;
}

/**
 * A trained multi-agent policy. `act(obs, { agent })` acts for one agent; `actAll` for every
 * agent of a parallel step. Checkpoints hold one actor/critic pair per group: `actor` and
 * `critic` for the shared learners, `actor_<i>` and `critic_<i>` (i = index in `agents`) for
 * ippo, with the agent order and the global-state length in config.json's `extra`.
 */
export class MarlAgent implements SeedableAgent {
  private rng: Generator;
  /** Per group, the critic's return statistics when trained with normalizeValue. */
  valueNormalizers: (ValueNormalizer | null)[] = [];

  constructor(
    readonly algo: MarlKind,
    readonly envId: string,
    readonly envOptions: Record<string, unknown>,
    readonly layout: InputLayout,
    readonly nets: GroupNets[],
    readonly hyperparams: MarlConfig,
    seed = 0,
  ) {
    this.rng = new Generator(seed);
  }

  get agents(): readonly string[] {
    return this.layout.spec.agents;
  }

  seed(seed: number): void {
    this.rng = new Generator(seed);
  }

  act(observation: unknown, options: { deterministic?: boolean; agent?: string } = {}): unknown {
    const agent = options.agent;
    if (agent === undefined) {
      throw new ConfigError(
        `${this.algo}: act() needs options.agent (one of ${this.agents.join(', ')})`,
      );
    }
    const { group } = this.layout.locate(agent);
    const g = this.layout.groups[group];
    const x = new Float32Array(g.actorDim);
    this.layout.writeActorInput(agent, observation, x, 0);
    return noGrad(() => {
      const dist = this.nets[group].actor.distribution(new Tensor(x, [1, g.actorDim]));
      const a = options.deterministic ? dist.mode() : dist.sample(this.rng);
      return toEnvAction(g.actionSpace, a, 0);
    });
  }

  /** One action per agent present in `observations` (a parallel env's live agents). */
  actAll(
    observations: Record<string, unknown>,
    options: { deterministic?: boolean } = {},
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const agent of Object.keys(observations)) {
      out[agent] = this.act(observations[agent], { ...options, agent });
    }
    return out;
  }

  /** The networks by checkpoint name. */
  networks(): Record<string, Module> {
    if (this.algo !== 'ippo') return { actor: this.nets[0].actor, critic: this.nets[0].critic };
    const out: Record<string, Module> = {};
    this.nets.forEach((n, i) => {
      out[`actor_${i}`] = n.actor;
      out[`critic_${i}`] = n.critic;
    });
    return out;
  }

  async save(dir: string): Promise<void> {
    const spec = this.layout.spec;
    await saveAgentCheckpoint(dir, {
      algo: this.algo,
      envId: this.envId,
      envOptions: this.envOptions,
      observationSpace: new Dict(spec.observationSpaces),
      actionSpace: new Dict(spec.actionSpaces),
      hyperparams: this.hyperparams as unknown as Record<string, unknown>,
      networks: this.networks(),
      extra: {
        agents: [...spec.agents],
        stateDim: spec.stateDim,
        valueRms: this.valueNormalizers.map((v) => (v ? v.toJSON() : null)),
      },
    });
  }
}

/** Fresh networks for every group of the layout (weights from `rng`, or left for a load). */
export function buildGroupNets(
  layout: InputLayout,
  cfg: MarlConfig,
  rng: Generator | null,
): GroupNets[] {
  const o = {
    hidden: cfg.hidden,
    activation: cfg.activation,
    rng: rng ?? undefined,
    skipInit: rng === null,
  };
  return layout.groups.map((g) => ({
    actor: makeActor(g.actorDim, g.actionSpace, o),
    critic: makeCritic(g.criticDim, o),
  }));
}

export async function loadMarlAgent(kind: MarlKind, dir: string): Promise<MarlAgent> {
  const ckpt = await loadAgentCheckpoint(dir, { algo: kind, schema: marlSchema });
  const field = (f: string): string => `${dir}/config.json: field 'extra.${f}'`;
  const extra = ckpt.config.extra ?? {};
  const obs = ckpt.observationSpace;
  const act = ckpt.actionSpace;
  if (!(obs instanceof Dict) || !(act instanceof Dict)) {
    throw new CheckpointError(
      `${dir}/config.json: multi-agent spaces must be Dict spaces keyed by agent`,
    );
  }
  const agents = extra.agents;
  const okAgents =
    Array.isArray(agents) &&
    agents.every((a) => typeof a === 'string') &&
    agents.length === obs.keys.length &&
    [...agents].sort().join('\u0000') === obs.keys.join('\u0000') &&
    act.keys.join('\u0000') === obs.keys.join('\u0000');
  if (!okAgents)
    throw new CheckpointError(`${field('agents')}: must list the agents of the spaces`);
  const stateDim = extra.stateDim ?? null;
  if (stateDim !== null && !(Number.isInteger(stateDim) && (stateDim as number) > 0)) {
    throw new CheckpointError(`${field('stateDim')}: must be null or a positive integer`);
  }
  const layout = new InputLayout({
    kind,
    agents: agents as string[],
    observationSpaces: obs.spaces as Record<string, Space<unknown>>,
    actionSpaces: act.spaces as Record<string, Space<unknown>>,
    agentId: ckpt.hyperparams.agentId,
    stateDim: stateDim as number | null,
  });
  const nets = buildGroupNets(layout, ckpt.hyperparams, null);
  const agent = new MarlAgent(
    kind,
    ckpt.config.envId,
    ckpt.config.envOptions,
    layout,
    nets,
    ckpt.hyperparams,
  );
  restoreNetworks(ckpt, agent.networks());
  const rms = Array.isArray(extra.valueRms) ? (extra.valueRms as unknown[]) : [];
  agent.valueNormalizers = nets.map((_, i) => {
    if (!ckpt.hyperparams.normalizeValue) return null;
    const vn = new ValueNormalizer();
    vn.load(rms[i], field(`valueRms[${i}]`));
    return vn;
  });
  return agent;
}
