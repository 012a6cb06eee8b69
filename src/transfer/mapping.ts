/**
 * Inter-task mappings (Taylor & Stone 2009, section 3.1): when a source agent was trained on
 * spaces other than the target's, its inputs and outputs go through two maps,
 *
 *   state map   target observation (flattened, Dt features)  ->  source observation (Ds)
 *   action map  source action outputs (logits / Q-values, As) ->  target action outputs (At)
 *
 * so that K_source(stateMap(s)) followed by actionMap gives target-action scores. Each map is one
 * of
 *   identity      Dt == Ds (the default; a size mismatch is a SpaceMappingError)
 *   pad           fixed: copy the first min(in, out) features, zero-pad or truncate the rest
 *   permutation   fixed: out[j] = in[order[j]] (e.g. [1, 0] swaps CartPole's two actions)
 *   linear        learned: y = x W^T + b, initialised to the `pad` map so training starts there
 *   mlp           learned: pad(x) + MLP(x), the MLP's last layer zero-initialised (same start)
 * Learned maps are Modules whose parameters the transfer method trains (A2T's attention reading
 * trains them through the mixed policy's task loss).
 *
 * Spaces that cannot be mapped raise SpaceMappingError: non-flattenable spaces, Box actions that
 * are not 1-D, and Discrete <-> Box actions without a learned map (a fixed copy of Q-values into
 * Gaussian means is not a meaningful correspondence).
 */
import { ConfigError, matmul, Tensor, type Generator } from '../core/index.js';
import { Linear, MLP, Module, zeros_ } from '../nn/index.js';
import { Box, Discrete, flatdim, type Space } from '../rl/spaces/index.js';
import { mappingSchema, type MappingConfig, type MappingInput } from './a2t/config.js';

/** Spaces (or a mapping config) that cannot connect a source agent to the target task. */
export class SpaceMappingError extends ConfigError {}

export { mappingSchema, type MappingConfig, type MappingInput } from './a2t/config.js';

/** A map from `inDim` to `outDim` features over a batch [B, inDim] -> [B, outDim]. */
export abstract class FeatureMap extends Module {
  abstract readonly kind: MappingConfig['kind'];
  constructor(
    readonly inDim: number,
    readonly outDim: number,
  ) {
    super();
  }
  /** Whether the map has parameters to train. */
  get learned(): boolean {
    return this.parameters().length > 0;
  }
  abstract forward(x: Tensor): Tensor;
}

/** The fixed [inDim, outDim] 0/1 matrix of `pad` (or of `permutation` with `order`). */
export function selectionMatrix(inDim: number, outDim: number, order?: readonly number[]): Tensor {
  const m = new Float32Array(inDim * outDim);
  for (let j = 0; j < outDim; j++) {
    const i = order ? order[j] : j;
    if (i < inDim) m[i * outDim + j] = 1;
  }
  return new Tensor(m, [inDim, outDim]);
}

export class IdentityMap extends FeatureMap {
  readonly kind = 'identity' as const;
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** pad / permutation: x @ M with a constant 0/1 matrix (gradients pass to x, nothing learned). */
export class SelectionMap extends FeatureMap {
  readonly #matrix: Tensor;
  constructor(
    readonly kind: 'pad' | 'permutation',
    inDim: number,
    outDim: number,
    order?: readonly number[],
  ) {
    super(inDim, outDim);
    this.#matrix = selectionMatrix(inDim, outDim, order);
  }
  forward(x: Tensor): Tensor {
    return matmul(x.dtype === 'float32' ? x : x.to('float32'), this.#matrix);
  }
}

export class LinearMap extends FeatureMap {
  readonly kind = 'linear' as const;
  linear: Linear;
  constructor(inDim: number, outDim: number) {
    super(inDim, outDim);
    this.linear = new Linear(inDim, outDim, { skipInit: true });
    // Start as `pad`: W = M^T, b = 0 (a learned map begins at the fixed correspondence).
    const m = selectionMatrix(inDim, outDim).data;
    const w = this.linear.weight.data;
    for (let i = 0; i < inDim; i++)
      for (let j = 0; j < outDim; j++) w[j * inDim + i] = m[i * outDim + j];
    if (this.linear.bias) zeros_(this.linear.bias);
  }
  forward(x: Tensor): Tensor {
    return this.linear.forward(x);
  }
}

export class MLPMap extends FeatureMap {
  readonly kind = 'mlp' as const;
  mlp: MLP;
  readonly #pad: SelectionMap;
  constructor(
    inDim: number,
    outDim: number,
    hidden: readonly number[],
    activation: 'relu' | 'tanh',
    rng: Generator,
  ) {
    super(inDim, outDim);
    this.mlp = new MLP([inDim, ...hidden, outDim], { activation, rng });
    const layers = this.mlp.modules().filter((m): m is Linear => m instanceof Linear);
    const last = layers[layers.length - 1];
    zeros_(last.weight);
    if (last.bias) zeros_(last.bias);
    this.#pad = new SelectionMap('pad', inDim, outDim);
  }
  forward(x: Tensor): Tensor {
    return this.#pad.forward(x).add(this.mlp.forward(x));
  }
}

/**
 * Build one map. `what` names it in errors ("state map of source 'upright'"). Learned maps draw
 * their initial weights from `rng` (only `mlp` draws any).
 */
export function buildFeatureMap(
  config: MappingInput,
  inDim: number,
  outDim: number,
  rng: Generator,
  what: string,
): FeatureMap {
  const parsed = mappingSchema.safeParse(config);
  if (!parsed.success) {
    throw new SpaceMappingError(
      `${what}: invalid mapping ${JSON.stringify(config)}: ${parsed.error.issues[0].message}`,
    );
  }
  const c = parsed.data;
  switch (c.kind) {
    case 'identity':
      if (inDim !== outDim) {
        throw new SpaceMappingError(
          `${what}: identity needs equal sizes, got ${inDim} -> ${outDim}; use kind 'pad' (zero-pad/truncate), 'linear' or 'mlp'`,
        );
      }
      return new IdentityMap(inDim, outDim);
    case 'pad':
      return new SelectionMap('pad', inDim, outDim);
    case 'permutation': {
      const bad = c.order.findIndex((i) => i >= inDim);
      if (c.order.length !== outDim || bad >= 0) {
        throw new SpaceMappingError(
          `${what}: permutation order [${c.order.join(', ')}] must have ${outDim} entries, each < ${inDim}`,
        );
      }
      return new SelectionMap('permutation', inDim, outDim, c.order);
    }
    case 'linear':
      return new LinearMap(inDim, outDim);
    case 'mlp':
      return new MLPMap(inDim, outDim, c.hidden, c.activation, rng);
  }
}

/** Action outputs' size: Discrete n (one score per action) or a 1-D Box's size (means). */
function actionDim(space: Space<unknown>, role: string): number {
  if (space instanceof Discrete) return space.n;
  if (space instanceof Box && space.shape.length === 1) return space.size;
  throw new SpaceMappingError(
    `${role} action space ${space.toString().slice(0, 120)} cannot be mapped: only Discrete and 1-D Box actions are supported`,
  );
}

function observationDimOf(space: Space<unknown>, role: string): number {
  try {
    return flatdim(space);
  } catch (err) {
    throw new SpaceMappingError(
      `${role} observation space ${space.toString().slice(0, 120)} cannot be flattened, so it cannot be mapped`,
      { cause: err },
    );
  }
}

export interface SpacePair {
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
}

export interface SpaceMappingOptions {
  /** Target -> source observation map (default identity). */
  state?: MappingInput;
  /** Source -> target action-output map (default identity). */
  action?: MappingInput;
  /** Names the source in errors. */
  name?: string;
  rng: Generator;
}

export interface SpaceMapping {
  stateMap: FeatureMap;
  actionMap: FeatureMap;
}

/**
 * The state and action maps connecting `source` to `target`, or a SpaceMappingError saying why
 * they cannot be connected and which mapping would.
 */
export function spaceMapping(
  source: SpacePair,
  target: SpacePair,
  options: SpaceMappingOptions,
): SpaceMapping {
  const who = options.name !== undefined ? `source '${options.name}'` : 'source';
  const ds = observationDimOf(source.observationSpace, who);
  const dt = observationDimOf(target.observationSpace, 'target');
  const as = actionDim(source.actionSpace, who);
  const at = actionDim(target.actionSpace, 'target');
  const stateCfg = options.state ?? { kind: 'identity' };
  const actionCfg = options.action ?? { kind: 'identity' };
  const srcDiscrete = source.actionSpace instanceof Discrete;
  const tgtDiscrete = target.actionSpace instanceof Discrete;
  if (srcDiscrete !== tgtDiscrete && actionCfg.kind !== 'linear' && actionCfg.kind !== 'mlp') {
    throw new SpaceMappingError(
      `${who} has ${srcDiscrete ? 'Discrete' : 'Box'} actions, the target ${tgtDiscrete ? 'Discrete' : 'Box'} actions: ` +
        `a '${actionCfg.kind}' action map cannot connect them; give a learned action map (kind 'linear' or 'mlp')`,
    );
  }
  return {
    stateMap: buildFeatureMap(
      stateCfg,
      dt,
      ds,
      options.rng,
      `state map of ${who} (target ${dt} -> source ${ds} features)`,
    ),
    actionMap: buildFeatureMap(
      actionCfg,
      as,
      at,
      options.rng,
      `action map of ${who} (source ${as} -> target ${at} outputs)`,
    ),
  };
}
