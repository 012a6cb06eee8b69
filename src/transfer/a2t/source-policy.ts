/**
 * A pretrained source agent as a frozen function of the target's observations: the agent's
 * network (DQN's Q-network, PPO's actor, REINFORCE's policy) with its weights frozen, behind the
 * state map and followed by the action map (src/transfer/mapping.ts):
 *
 *   outputs(s) = actionMap(K_source(normalise(stateMap(s))))        [B, target actions]
 *
 * Gradients flow through the frozen network to learned maps (the network's own weights never
 * change: requiresGrad is off and they are not among `parameters()`), so both A2T readings can
 * train a map while the source stays bit-identical. A PPO source trained with observation
 * normalisation gets its running statistics applied as constant tensor ops.
 */
import { ConfigError, logSoftmax, noGrad, Tensor } from '../../core/index.js';
import { Module } from '../../nn/index.js';
import type { PpoConfig } from '../../rl/algos/ppo/config.js';
import { make } from '../../rl/registry.js';
import type { Agent } from '../../rl/algos/types.js';
import { Box, Discrete, type Space } from '../../rl/spaces/index.js';
import { spaceMapping, type FeatureMap, type MappingInput, type SpacePair } from '../mapping.js';
import type { Generator } from '../../core/index.js';

/** What the source network outputs: Q-values, policy logits, or Gaussian means (Box actions). */
export type SourceOutputKind = 'q' | 'logits' | 'mean';

interface ForwardModule extends Module {
  forward(x: Tensor): Tensor;
}

interface NormalizerLike {
  dim: number;
  clip: number;
  epsilon: number;
  rms: {
    mean: Float64Array | Float32Array | number[];
    var: Float64Array | Float32Array | number[];
  };
}

/** The network inside a loaded agent, by duck type (DQNAgent, PpoAgent, ReinforceAgent). */
function agentNetwork(agent: Agent): {
  network: ForwardModule;
  kind: SourceOutputKind;
  normalizer: NormalizerLike | null;
} {
  const a = agent as unknown as Record<string, unknown>;
  if (a.qNetwork instanceof Module)
    return { network: a.qNetwork as ForwardModule, kind: 'q', normalizer: null };
  const policy = (a.actor ?? a.policy) as
    (Module & { kind?: string; mean?: ForwardModule }) | undefined;
  if (policy instanceof Module) {
    const normalizer = (a.obsNormalizer as NormalizerLike | null | undefined) ?? null;
    if (policy.kind === 'continuous' && policy.mean instanceof Module) {
      return { network: policy.mean, kind: 'mean', normalizer };
    }
    return { network: policy as ForwardModule, kind: 'logits', normalizer };
  }
  throw new ConfigError(
    `source agent of algorithm '${agent.algo}' exposes no network A2T can read (expected a DQN Q-network or a policy network)`,
  );
}

export interface SourcePolicyOptions {
  name: string;
  /** The target task's spaces. */
  target: SpacePair;
  stateMap?: MappingInput;
  actionMap?: MappingInput;
  /** Softmax temperature turning the outputs into a policy (default 1). */
  temperature?: number;
  /** Initial weights of learned maps. */
  rng: Generator;
}

export class SourcePolicy extends Module {
  readonly name: string;
  readonly outputKind: SourceOutputKind;
  readonly temperature: number;
  readonly sourceSpaces: SpacePair;
  stateMap: FeatureMap;
  actionMap: FeatureMap;
  readonly #network: ForwardModule;
  readonly #normalize: ((x: Tensor) => Tensor) | null;

  constructor(agent: Agent & Partial<SpacePair>, options: SourcePolicyOptions) {
    super();
    this.name = options.name;
    this.temperature = options.temperature ?? 1;
    if (!(this.temperature > 0)) {
      throw new ConfigError(
        `source '${options.name}': temperature must be > 0, got ${this.temperature}`,
      );
    }
    if (!agent.observationSpace || !agent.actionSpace) {
      throw new ConfigError(`source '${options.name}': the agent does not expose its spaces`);
    }
    this.sourceSpaces = {
      observationSpace: agent.observationSpace,
      actionSpace: agent.actionSpace,
    };
    const { network, kind, normalizer } = agentNetwork(agent);
    this.outputKind = kind;
    const maps = spaceMapping(this.sourceSpaces, options.target, {
      state: options.stateMap,
      action: options.actionMap,
      name: options.name,
      rng: options.rng,
    });
    this.stateMap = maps.stateMap;
    this.actionMap = maps.actionMap;
    network.requiresGrad_(false);
    this.#network = network;
    this.#normalize = normalizer ? normalizerOp(normalizer) : null;
  }

  /** The frozen source network (not among this module's parameters). */
  get network(): Module {
    return this.#network;
  }

  /** Target-action outputs [B, At] for target observations [B, Dt]. */
  outputs(obs: Tensor): Tensor {
    return this.actionMap.forward(this.rawOutputs(this.stateMap.forward(obs)));
  }

  /** log pi_source(.|s) over the target's actions: logSoftmax(outputs / temperature). */
  logPolicy(obs: Tensor): Tensor {
    if (this.outputKind === 'mean') {
      throw new ConfigError(
        `source '${this.name}' is a Gaussian policy: it has no categorical policy over the target's actions`,
      );
    }
    const out = this.outputs(obs);
    return logSoftmax(this.temperature === 1 ? out : out.div(this.temperature), -1);
  }

  /** The network's own outputs [B, As] for source observations [B, Ds] (no maps). */
  rawOutputs(sourceObs: Tensor): Tensor {
    return this.#network.forward(this.#normalize ? this.#normalize(sourceObs) : sourceObs);
  }

  rawOutputsNoGrad(sourceObs: Tensor): Float32Array {
    return noGrad(() => Float32Array.from(this.rawOutputs(sourceObs).data));
  }

  /** outputs() without a graph, as a copy. */
  outputsNoGrad(obs: Tensor): Float32Array {
    return noGrad(() => Float32Array.from(this.outputs(obs).data));
  }
}

function normalizerOp(n: NormalizerLike): (x: Tensor) => Tensor {
  const d = n.dim;
  const mean = new Tensor(Float32Array.from(n.rms.mean), [1, d]);
  const inv = new Float32Array(d);
  for (let j = 0; j < d; j++) inv[j] = 1 / Math.sqrt(Number(n.rms.var[j]) + n.epsilon);
  const invStd = new Tensor(inv, [1, d]);
  return (x) => x.sub(mean).mul(invStd).clamp(-n.clip, n.clip);
}

export interface A2TSourceInput {
  name: string;
  agent: Agent;
  /** The source's checkpoint folder (recorded in the A2T checkpoint). */
  dir?: string;
  stateMap?: MappingInput;
  actionMap?: MappingInput;
  /** Softmax temperature of this source's policy (Q-values of a DQN source want < 1). */
  temperature?: number;
}

/**
 * The frozen sources as mixture components over the target's spaces. Names must be unique and
 * not 'base' (the base component's name in attention records).
 */
export function buildSourcePolicies(
  who: string,
  inputs: readonly A2TSourceInput[],
  target: SpacePair,
  rng: Generator,
): SourcePolicy[] {
  const names = new Set<string>();
  return inputs.map((s) => {
    if (names.has(s.name) || s.name === 'base') {
      throw new ConfigError(
        `${who}: source names must be unique and not 'base', got '${s.name}' twice`,
      );
    }
    names.add(s.name);
    return new SourcePolicy(s.agent as Agent & Partial<SpacePair>, {
      name: s.name,
      target,
      stateMap: s.stateMap,
      actionMap: s.actionMap,
      temperature: s.temperature,
      rng,
    });
  });
}

/** Checks the target's spaces are ones the transfer trainers drive (a Discrete action space). */
export function requireDiscreteTarget(
  method: string,
  spaces: { actionSpace: Space<unknown> },
): Discrete {
  if (spaces.actionSpace instanceof Discrete) return spaces.actionSpace;
  const what =
    spaces.actionSpace instanceof Box ? 'a Box' : `a ${spaces.actionSpace.constructor.name}`;
  throw new ConfigError(
    `${method}: the target env has ${what} action space; this trainer mixes / distils categorical policies and needs Discrete actions`,
  );
}

/** The observation and action spaces of an env id (made once and closed). */
export function envSpacesOf(envId: string, envOptions: Record<string, unknown>): SpacePair {
  const env = make(envId, envOptions);
  try {
    return { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  } finally {
    env.close();
  }
}

/**
 * The one PPO setting the transfer trainers refuse: observation normalisation. The actor would
 * see normalised observations, and the sources (and a distillation buffer) raw ones.
 */
export function checkLoopConfig(method: string, cfg: PpoConfig): void {
  if (cfg.normalizeObservation) {
    throw new ConfigError(
      `${method}: hyperparams 'normalizeObservation' is not supported with source policies (they read raw observations); set it to false`,
    );
  }
}
