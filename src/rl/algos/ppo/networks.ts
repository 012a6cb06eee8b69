import { ConfigError, type Generator, type Tensor } from '../../../core/index.js';
import type { MLP } from '../../../nn/index.js';
import { Box, Discrete, type Space } from '../../spaces/index.js';
import {
  buildMLP,
  CategoricalPolicy,
  GaussianPolicy,
  type NetworkOptions,
  type PolicyNetwork,
} from '../common/index.js';

/**
 * CleanRL's PPO Agent, as two separate networks: the actor (hidden layers orthogonal with gain
 * sqrt(2), policy head gain 0.01 so the first policy is near uniform, zero biases) and the critic
 * (same body, value head gain 1). Gaussian actors add a state-independent log-std (init 0).
 */
export interface ActorCriticOptions {
  hidden: readonly number[];
  activation: 'tanh' | 'relu';
  /** Weights drawn from here; omit with skipInit when loading a checkpoint. */
  rng?: Generator;
  skipInit?: boolean;
}

function netOptions(o: ActorCriticOptions, outputGain: number): NetworkOptions {
  return {
    hidden: o.hidden,
    activation: o.activation,
    orthogonal: !o.skipInit,
    outputGain,
    rng: o.rng,
    skipInit: o.skipInit,
  };
}

/** The actor for `inputDim` features and the action space (Discrete or 1-D Box). */
export function makeActor(
  inputDim: number,
  actionSpace: Space<unknown>,
  o: ActorCriticOptions,
): PolicyNetwork {
  if (actionSpace instanceof Discrete) {
    return new CategoricalPolicy(inputDim, actionSpace.n, netOptions(o, 0.01));
  }
  if (actionSpace instanceof Box && actionSpace.shape.length === 1) {
    const mean = buildMLP(inputDim, actionSpace.size, netOptions(o, 0.01));
    return new GaussianPolicy(mean, actionSpace.size, 0);
  }
  throw new ConfigError(
    `PPO: unsupported action space ${actionSpace.toString().slice(0, 120)}; use Discrete or a 1-D Box`,
  );
}

/** The critic: `inputDim` features -> V as [B, 1]. */
export function makeCritic(inputDim: number, o: ActorCriticOptions): MLP {
  return buildMLP(inputDim, 1, netOptions(o, 1));
}

/** What an update needs from the networks. */
export interface ActorCritic {
  actor: PolicyNetwork;
  critic: { forward(x: Tensor): Tensor; parameters(): Tensor[] };
}
