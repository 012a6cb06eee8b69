/**
 * A2T for value functions (Rajendran et al. 2017, value transfer): the target's Q-function is the
 * attention-weighted sum of N frozen source Q-functions and a base Q-network learned from scratch,
 *
 *   Q_T(s, .) = sum_{i=1}^{N+1} w_i(s) Q_i(s, .),      w(s) = softmax(f_att(s)),
 *
 * and DQN trains it (./value-trainer.ts): the TD loss of Q_T trains the attention network (and
 * learned maps); the base is trained by its own TD loss on the same transitions, as a DQN of its
 * own. The base enters the mixture detached: otherwise the mixture's loss would also pull the base
 * towards whatever makes the sum right (Q_T's residual), and it would stop being a Q-function of
 * the target task that the attention could hand over to.
 */
import { ConfigError, Generator, ShapeError, stack, type Tensor } from '../../core/index.js';
import type { MLP } from '../../nn/index.js';
import { makeQNetwork, observationDim } from '../../rl/algos/common/index.js';
import type { DQNHyperparams, QNetwork } from '../../rl/algos/dqn.js';
import { A2TMixture, mixOutputs, type A2TMixtureOptions } from './attention.js';
import { buildSourcePolicies, envSpacesOf, requireDiscreteTarget } from './source-policy.js';
import type { A2TSourceInput } from './source-policy.js';

/** The sources' outputs are Q-values (DQN agents). */
export type A2TQNetworkOptions = A2TMixtureOptions<MLP>;

/** Q_T(s, .): the attention-weighted sum of frozen source Q-networks and a base Q-network. */
export class A2TQNetwork extends A2TMixture<MLP> implements QNetwork {
  #last: { obs: Tensor; base: Tensor } | null = null;

  constructor(o: A2TQNetworkOptions) {
    super('A2TQNetwork', o);
    for (const s of o.sources) {
      if (s.outputKind !== 'q') {
        throw new ConfigError(
          `A2TQNetwork: source '${s.name}' outputs ${s.outputKind === 'mean' ? 'Gaussian means' : 'policy logits'}; value transfer mixes Q-values and needs DQN sources`,
        );
      }
      if (s.temperature !== 1) {
        throw new ConfigError(
          `A2TQNetwork: source '${s.name}' has temperature ${s.temperature}; Q-values are mixed as they are (temperature applies to policy mixing only)`,
        );
      }
    }
  }

  /** Q_i(s, .) of every component [B, N + 1, A]; the base's detached (see the file comment). */
  componentValues(obs: Tensor): Tensor {
    const base = this.base.forward(obs);
    this.#last = { obs, base };
    const parts = [...[...this.sources].map((s) => s.outputs(obs)), base.detach()];
    for (const [k, p] of parts.entries()) {
      if (p.rank !== 2 || p.shape[1] !== this.actions) {
        throw new ShapeError(
          `A2TQNetwork: component '${this.components[k]}' gives Q-values [${p.shape.join(', ')}], the target has ${this.actions} actions`,
        );
      }
    }
    return stack(parts, 1);
  }

  /** Q_T(s, .) [B, A]. */
  forward(obs: Tensor): Tensor {
    return mixOutputs(this.weights(obs), this.componentValues(obs));
  }

  /**
   * The base's Q-values (with their graph) from the last forward pass on exactly this `obs`
   * tensor, null otherwise: the base's own TD loss reuses them.
   */
  lastBaseValues(obs: Tensor): Tensor | null {
    return this.#last && this.#last.obs === obs ? this.#last.base : null;
  }
}

export interface A2TQBuildOptions {
  envId: string;
  envOptions: Record<string, unknown>;
  hp: Pick<DQNHyperparams, 'hidden' | 'activation'>;
  sources: A2TSourceInput[];
  attentionHidden?: readonly number[];
}

/**
 * The online network and its DQN target network. The target has its own copies of the learned
 * parts (attention, base, learned maps: same names, so DQN's target update copies them) over the
 * same frozen source networks. The base starts as a scratch DQN's Q-network for the same seed.
 */
export function buildA2TQNetworks(
  o: A2TQBuildOptions,
  rngs: { init: Generator | null; attention: Generator; maps: Generator },
): { online: A2TQNetwork; target: A2TQNetwork } {
  const target = envSpacesOf(o.envId, o.envOptions);
  const actionSpace = requireDiscreteTarget('a2t (dqn)', target);
  const obsDim = observationDim(target.observationSpace);
  const net = { hidden: o.hp.hidden, activation: o.hp.activation };
  const build = (init: Generator | null, attention: Generator, maps: Generator): A2TQNetwork =>
    new A2TQNetwork({
      obsDim,
      actions: actionSpace.n,
      base: makeQNetwork(target.observationSpace, actionSpace, {
        ...net,
        rng: init ?? undefined,
        skipInit: init === null,
      }),
      sources: buildSourcePolicies('a2t (dqn)', o.sources, target, maps),
      attentionHidden: o.attentionHidden,
      activation: o.hp.activation,
      rng: attention,
    });
  const online = build(rngs.init, rngs.attention, rngs.maps);
  // The target's initial weights are overwritten by the first target update.
  const scratch = new Generator(0);
  return { online, target: build(scratch, scratch, scratch) };
}
