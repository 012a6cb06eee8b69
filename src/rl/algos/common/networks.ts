import {
  ConfigError,
  Tensor,
  zeros,
  type Generator,
  type FloatDType,
} from '../../../core/index.js';
import {
  Linear,
  MLP,
  Module,
  Parameter,
  orthogonal_,
  zeros_,
  type MLPOptions,
} from '../../../nn/index.js';
import { Box, Discrete, flatdim, flatten, type Space } from '../../spaces/index.js';
import { Categorical, DiagGaussian, type ActionDistribution } from './distributions.js';

/**
 * Networks built from an env's spaces: the observation is flattened (Gymnasium's `flatten`, so a
 * Discrete observation becomes one-hot) and fed to an MLP. The default body is the seed's
 * state_dim -> 64 -> 64 -> out with ReLU. State-dict names are those of the torch equivalent
 * (`0.weight`, `2.weight`, ...; Gaussian policies add `mean.` and `log_std`).
 */
export interface NetworkOptions {
  /** Hidden layer sizes (default [64, 64]). */
  hidden?: readonly number[];
  activation?: 'relu' | 'tanh';
  /** Draws the initial weights; omit with skipInit when a checkpoint is loaded next. */
  rng?: Generator;
  skipInit?: boolean;
  /**
   * CleanRL's layer_init: orthogonal weights with gain sqrt(2) on hidden layers and
   * `outputGain` on the last one, zero biases (PPO uses this; DQN keeps torch's default init).
   */
  orthogonal?: boolean;
  outputGain?: number;
  dtype?: FloatDType;
}

export const DEFAULT_HIDDEN: readonly number[] = Object.freeze([64, 64]);

/** Length of a flattened observation of `space`. */
export function observationDim(space: Space<unknown>): number {
  return flatdim(space);
}

/** One observation as a flat Float32Array (Box values are used as they are). */
export function flattenObservation(space: Space<unknown>, obs: unknown): Float32Array {
  if (space instanceof Box && obs instanceof Float32Array && obs.length === space.size) return obs;
  return flatten(space, obs);
}

/** A [1, D] tensor holding one flattened observation (copied). */
export function observationTensor(obs: ArrayLike<number>): Tensor {
  return new Tensor(Float32Array.from(obs), [1, obs.length]);
}

function mlpSizes(inputDim: number, outputDim: number, options: NetworkOptions): number[] {
  return [inputDim, ...(options.hidden ?? DEFAULT_HIDDEN), outputDim];
}

function mlpOptions(options: NetworkOptions): MLPOptions {
  return {
    activation: options.activation ?? 'relu',
    rng: options.orthogonal ? undefined : options.rng,
    // Orthogonal init replaces torch's default, so the default draws are skipped.
    skipInit: options.orthogonal ? true : options.skipInit,
    dtype: options.dtype,
  };
}

/** CleanRL's layer_init over every Linear of `mlp` (when options.orthogonal). */
function applyOrthogonalInit(mlp: MLP, options: NetworkOptions): void {
  if (!options.orthogonal || options.skipInit) return;
  const rng = options.rng;
  if (!rng) throw new ConfigError('buildMLP: orthogonal init needs rng (or skipInit: true)');
  const linears = mlp.modules().filter((m): m is Linear => m instanceof Linear);
  linears.forEach((l, i) => {
    const last = i === linears.length - 1;
    orthogonal_(l.weight, rng, last ? (options.outputGain ?? 1) : Math.SQRT2);
    if (l.bias) zeros_(l.bias);
  });
}

/** An MLP from `inputDim` to `outputDim` with the configured body. */
export function buildMLP(inputDim: number, outputDim: number, options: NetworkOptions = {}): MLP {
  const mlp = new MLP(mlpSizes(inputDim, outputDim, options), mlpOptions(options));
  applyOrthogonalInit(mlp, options);
  return mlp;
}

/** A Q-network: flattened observation -> one value per discrete action. */
export function makeQNetwork(
  observationSpace: Space<unknown>,
  actionSpace: Space<unknown>,
  options: NetworkOptions = {},
): MLP {
  if (!(actionSpace instanceof Discrete)) {
    throw new ConfigError(
      `makeQNetwork: Q-learning needs a Discrete action space, got ${actionSpace.toString().slice(0, 120)}`,
    );
  }
  return buildMLP(observationDim(observationSpace), actionSpace.n, options);
}

/** A state-value network: flattened observation -> V(s) as [B, 1]. */
export function makeValueNetwork(
  observationSpace: Space<unknown>,
  options: NetworkOptions = {},
): MLP {
  return buildMLP(observationDim(observationSpace), 1, options);
}

/** A policy: observations [B, obsDim] -> an action distribution. */
export interface PolicyNetwork extends Module {
  readonly kind: 'discrete' | 'continuous';
  distribution(obs: Tensor): ActionDistribution;
}

/** Discrete actions: logits from an MLP (state dict `0.weight`, ...). */
export class CategoricalPolicy extends MLP implements PolicyNetwork {
  readonly kind = 'discrete' as const;

  constructor(inputDim: number, actions: number, options: NetworkOptions = {}) {
    super(mlpSizes(inputDim, actions, options), mlpOptions(options));
    applyOrthogonalInit(this, options);
  }

  distribution(obs: Tensor): Categorical {
    return new Categorical(this.forward(obs));
  }
}

/** Box actions: a mean MLP and a state-independent log-std parameter (init 0, std 1). */
export class GaussianPolicy extends Module implements PolicyNetwork {
  readonly kind = 'continuous' as const;
  mean: MLP;
  log_std: Parameter;

  constructor(mean: MLP, actionDim: number, initialLogStd = 0, dtype: FloatDType = 'float32') {
    super();
    this.mean = mean;
    this.log_std = new Parameter(zeros([actionDim], { dtype }));
    this.log_std.data.fill(initialLogStd);
  }

  distribution(obs: Tensor): DiagGaussian {
    return new DiagGaussian(this.mean.forward(obs), this.log_std);
  }
}

/** A policy network for the action space: CategoricalPolicy (Discrete) or GaussianPolicy (Box). */
export function makePolicyNetwork(
  observationSpace: Space<unknown>,
  actionSpace: Space<unknown>,
  options: NetworkOptions = {},
): PolicyNetwork {
  const inDim = observationDim(observationSpace);
  if (actionSpace instanceof Discrete) {
    return new CategoricalPolicy(inDim, actionSpace.n, options);
  }
  if (actionSpace instanceof Box) {
    if (actionSpace.shape.length !== 1) {
      throw new ConfigError(
        `makePolicyNetwork: Box action spaces must be 1-D, got shape [${actionSpace.shape.join(', ')}]`,
      );
    }
    return new GaussianPolicy(
      buildMLP(inDim, actionSpace.size, options),
      actionSpace.size,
      0,
      options.dtype,
    );
  }
  throw new ConfigError(
    `makePolicyNetwork: unsupported action space ${actionSpace.constructor.name}; use Discrete or a 1-D Box`,
  );
}

/**
 * The env action for a policy's action row: an integer for Discrete (plus `start`), a
 * Float32Array clipped to the bounds for Box (the policy's Gaussian is unbounded, as in SB3).
 */
export function toEnvAction(actionSpace: Space<unknown>, action: Tensor, row = 0): unknown {
  if (actionSpace instanceof Discrete) return actionSpace.start + action.data[row];
  if (actionSpace instanceof Box) {
    const D = actionSpace.size;
    const out = new Float32Array(D);
    for (let d = 0; d < D; d++) {
      const v = action.data[row * D + d];
      out[d] = Math.min(actionSpace.high[d], Math.max(actionSpace.low[d], v));
    }
    return out;
  }
  throw new ConfigError(`toEnvAction: unsupported action space ${actionSpace.constructor.name}`);
}
