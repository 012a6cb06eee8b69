/**
 * The PPO loop both A2T readings train the target agent with: src/rl/algos/ppo.ts step for step
 * (sync vector envs, next-step autoreset rows left out, truncations bootstrapped, GAE, the
 * clipped surrogate with value clipping, minibatch epochs, lr annealing, gradient clipping, the
 * target-KL stop), with two openings trainPpo does not have:
 *
 * - `extraLoss`: a term added to each minibatch's PPO loss before backward (the distillation
 *   loss of the source-material reading; the base network's own loss in the attention reading);
 * - `afterRollout`: a look at each rollout's observations before the update (attention weights).
 *
 * The actor is any PolicyNetwork (the A2T mixture is one). With the same seed, config and no
 * extra loss the loop reproduces trainPpo's episodes exactly (a test checks this), so every
 * difference a transfer method shows against the `scratch` baseline comes from the transfer.
 */
import { ConfigError, Generator, noGrad, reshape, Tensor } from '../../core/index.js';
import type { MLP } from '../../nn/index.js';
import { Adam, assertFiniteLoss, clipGradNorm } from '../../optim/index.js';
import {
  annealedLr,
  EpisodeTracker,
  flattenObservation,
  observationDim,
  toEnvAction,
  type ActionDistribution,
  type PolicyNetwork,
} from '../../rl/algos/common/index.js';
import type { PpoConfig } from '../../rl/algos/ppo/config.js';
import { computeGae, explainedVariance } from '../../rl/algos/ppo/gae.js';
import {
  clippedPolicyLoss,
  normalizeAdvantages,
  ppoLoss,
  valueLoss,
} from '../../rl/algos/ppo/losses.js';
import type { EpisodeRecord, TrainProgress } from '../../rl/algos/types.js';
import type { Env } from '../../rl/env.js';
import { make } from '../../rl/registry.js';
import { Discrete, type Box, type Space } from '../../rl/spaces/index.js';
import { SyncVectorEnv } from '../../rl/vector/index.js';

/** One minibatch of an update, as the extra loss sees it. */
export interface MinibatchContext {
  /** Observations [n, D] (a tensor without gradient). */
  obs: Tensor;
  /** Actions taken: int32 [n] (Discrete) or [n, A]. */
  actions: Tensor;
  /** Advantages as the policy loss used them (normalised when normAdv) [n]. */
  advantages: Tensor;
  /** The minibatch's rows in the rollout batch (as RolloutContext numbers them). */
  indices: Int32Array;
  /** Env steps taken so far (the start of this update's rollout counted in). */
  globalStep: number;
  update: number;
}

export interface ExtraLoss {
  loss: Tensor;
  /** Scalars averaged over the update's minibatches into the progress metrics. */
  stats?: Record<string, number>;
}

export interface RolloutContext {
  /** The rollout's valid observations, row-major [rows, obsDim]. */
  obs: Float32Array;
  /** The actions taken, int32 [rows] (Discrete) or [rows, A]. */
  actions: Int32Array | Float32Array;
  rows: number;
  globalStep: number;
  update: number;
}

export interface TransferPpoOptions {
  envId: string;
  envOptions: Record<string, unknown>;
  seed: number;
  /** The whole budget in target env steps, `startStep` included. */
  totalSteps: number;
  /** Target env steps spent before this loop (e.g. filling a state buffer): the curve starts here. */
  startStep?: number;
  cfg: PpoConfig;
  actor: PolicyNetwork;
  critic: MLP;
  /**
   * The actor's distribution for rows `indices` of the rollout batch (their observations in
   * `obs`) during updates; default actor.distribution(obs). Lets the A2T mixture reuse the frozen
   * sources' outputs computed once per rollout.
   */
  distributionRows?: (obs: Tensor, indices: Int32Array) => ActionDistribution;
  actRng: Generator;
  shuffleRng: Generator;
  onEpisode?: (e: EpisodeRecord) => void;
  onProgress?: (p: TrainProgress) => void;
  extraLoss?: (mb: MinibatchContext) => ExtraLoss | null;
  afterRollout?: (ctx: RolloutContext) => void;
  /** After each update, with its averaged statistics (extra-loss stats included). */
  afterUpdate?: (u: { globalStep: number; update: number; stats: Record<string, number> }) => void;
  /** Weight of the PPO loss itself (default 1; 0 trains on the extra loss alone). */
  taskLossCoef?: number;
}

export interface TransferPpoResult {
  episodes: EpisodeRecord[];
  globalStep: number;
  updates: number;
}

/** Settings trainPpo has that this loop does not support. */
export function checkLoopConfig(method: string, cfg: PpoConfig): void {
  const unsupported = (
    ['normalizeObservation', 'normalizeReward', 'normalizeValue'] as const
  ).filter((k) => cfg[k]);
  if (unsupported.length > 0) {
    throw new ConfigError(
      `${method}: hyperparams ${unsupported.map((k) => `'${k}'`).join(', ')} are not supported by the transfer PPO loop (the source policies read raw observations); set them to false`,
    );
  }
}

export function trainTransferPpo(o: TransferPpoOptions): TransferPpoResult {
  const { cfg, actor, critic } = o;
  const startStep = o.startStep ?? 0;
  const fns = Array.from(
    { length: cfg.numEnvs },
    () => (): Env<unknown, unknown> => make(o.envId, o.envOptions),
  );
  const envs = new SyncVectorEnv<unknown, unknown>(fns);
  try {
    const obsSpace = envs.singleObservationSpace;
    const actSpace = envs.singleActionSpace;
    const params = [...actor.parameters(), ...critic.parameters()];
    const optimizer = new Adam(params, { lr: cfg.learningRate, eps: cfg.adamEps });
    const tracker = new EpisodeTracker({
      totalSteps: o.totalSteps,
      onEpisode: o.onEpisode,
      onProgress: o.onProgress,
    });
    const N = envs.numEnvs;
    const T = cfg.numSteps;
    const D = observationDim(obsSpace);
    const discrete = actSpace instanceof Discrete;
    const A = discrete ? 1 : (actSpace as Box).size;
    const numUpdates = Math.max(1, Math.ceil((o.totalSteps - startStep) / (N * T)));

    const obsBuf = new Float32Array(T * N * D);
    const actBuf = discrete ? new Int32Array(T * N) : new Float32Array(T * N * A);
    const logpBuf = new Float32Array(T * N);
    const valBuf = new Float32Array(T * N);
    const rewBuf = new Float64Array(T * N);
    const termBuf = new Uint8Array(T * N);
    const truncBuf = new Uint8Array(T * N);
    const validBuf = new Uint8Array(T * N);
    const bootBuf = new Float64Array(T * N);
    const cur = new Float32Array(N * D);
    const setObs = (observations: unknown[]): void => {
      for (let i = 0; i < N; i++) cur.set(flattenObservation(obsSpace, observations[i]), i * D);
    };
    setObs(envs.reset({ seed: o.seed }).observations);
    const needsReset = new Uint8Array(N);
    const epReturn = new Float64Array(N);
    const epLength = new Int32Array(N);
    let globalStep = startStep;

    for (let update = 1; update <= numUpdates; update++) {
      const lr = cfg.annealLr ? annealedLr(cfg.learningRate, update, numUpdates) : cfg.learningRate;
      optimizer.paramGroups[0].lr = lr;
      for (let t = 0; t < T; t++) {
        const row = t * N;
        obsBuf.set(cur, row * D);
        const x = new Tensor(obsBuf.subarray(row * D, (row + N) * D), [N, D]);
        const { action, logp, value } = noGrad(() => {
          const dist = actor.distribution(x);
          const a = dist.sample(o.actRng);
          return { action: a, logp: dist.logProb(a), value: critic.forward(x) };
        });
        actBuf.set(action.data, row * A);
        logpBuf.set(logp.data, row);
        valBuf.set(value.data, row);
        const envActions: unknown[] = [];
        for (let i = 0; i < N; i++) envActions.push(toEnvAction(actSpace, action, i));
        const res = envs.step(envActions);
        globalStep += N;
        for (let i = 0; i < N; i++) {
          const k = row + i;
          validBuf[k] = needsReset[i] ? 0 : 1;
          const term = res.terminations[i];
          const trunc = res.truncations[i];
          if (validBuf[k]) {
            const r = res.rewards[i];
            epReturn[i] += r;
            epLength[i] += 1;
            rewBuf[k] = r;
            if (term || trunc) {
              tracker.episode(globalStep, epReturn[i], epLength[i]);
              epReturn[i] = 0;
              epLength[i] = 0;
            }
          } else rewBuf[k] = 0;
          termBuf[k] = term || (trunc && !cfg.bootstrapTruncated) ? 1 : 0;
          truncBuf[k] = trunc ? 1 : 0;
          needsReset[i] = term || trunc ? 1 : 0;
        }
        setObs(res.observations);
      }
      const lastValues = noGrad(() =>
        Float64Array.from(critic.forward(new Tensor(cur.slice(), [N, D])).data),
      );
      const values = Float64Array.from(valBuf);
      for (let k = 0; k < T * N; k++) {
        if (truncBuf[k]) bootBuf[k] = k + N < T * N ? values[k + N] : lastValues[k % N];
      }
      const { advantages, returns } = computeGae({
        numSteps: T,
        numEnvs: N,
        rewards: rewBuf,
        values,
        lastValues,
        terminated: termBuf,
        truncated: truncBuf,
        bootstrapValues: bootBuf,
        valid: validBuf,
        gamma: cfg.gamma,
        gaeLambda: cfg.gaeLambda,
      });
      const batch = compact(validBuf, D, A, obsBuf, actBuf, logpBuf, values, advantages, returns);
      o.afterRollout?.({
        obs: batch.obs,
        actions: batch.actions,
        rows: batch.size,
        globalStep,
        update,
      });
      const stats = update1(o, optimizer, params, batch, D, A, globalStep, update);
      o.afterUpdate?.({ globalStep, update, stats });
      tracker.progress(globalStep, { learningRate: lr, ...stats }, true);
    }
    return { episodes: tracker.episodes, globalStep, updates: numUpdates };
  } finally {
    envs.close();
  }
}

interface Batch {
  size: number;
  obs: Float32Array;
  actions: Int32Array | Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  advantages: Float64Array;
  returns: Float64Array;
}

function compact(
  valid: Uint8Array,
  D: number,
  A: number,
  obs: Float32Array,
  actions: Int32Array | Float32Array,
  logp: Float32Array,
  values: Float64Array,
  adv: Float64Array,
  ret: Float64Array,
): Batch {
  let n = 0;
  for (const v of valid) n += v;
  const b: Batch = {
    size: n,
    obs: new Float32Array(n * D),
    actions: actions instanceof Int32Array ? new Int32Array(n) : new Float32Array(n * A),
    logProbs: new Float32Array(n),
    values: new Float32Array(n),
    advantages: new Float64Array(n),
    returns: new Float64Array(n),
  };
  let j = 0;
  for (let k = 0; k < valid.length; k++) {
    if (!valid[k]) continue;
    b.obs.set(obs.subarray(k * D, k * D + D), j * D);
    b.actions.set(actions.subarray(k * A, k * A + A), j * A);
    b.logProbs[j] = logp[k];
    b.values[j] = values[k];
    b.advantages[j] = adv[k];
    b.returns[j] = ret[k];
    j++;
  }
  return b;
}

function rows(src: Float32Array, dim: number, idx: Int32Array): Tensor {
  const out = new Float32Array(idx.length * dim);
  for (let r = 0; r < idx.length; r++)
    out.set(src.subarray(idx[r] * dim, idx[r] * dim + dim), r * dim);
  return new Tensor(out, [idx.length, dim]);
}

function pick(src: ArrayLike<number>, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length);
  for (let r = 0; r < idx.length; r++) out[r] = src[idx[r]];
  return out;
}

/** ppo/update.ts's ppoUpdate, with the extra loss and the task-loss weight. */
function update1(
  o: TransferPpoOptions,
  optimizer: Adam,
  params: Tensor[],
  batch: Batch,
  D: number,
  A: number,
  globalStep: number,
  update: number,
): Record<string, number> {
  const { cfg, actor, critic } = o;
  const B = batch.size;
  const mbSize = Math.max(1, Math.ceil(B / cfg.numMinibatches));
  const vClip = cfg.clipVloss ? (cfg.vfClipCoef ?? cfg.clipCoef) : null;
  const taskCoef = o.taskLossCoef ?? 1;
  const sums: Record<string, number> = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0 };
  let steps = 0;
  let lastKl = 0;
  for (let epoch = 0; epoch < cfg.updateEpochs && B > 0; epoch++) {
    const perm = o.shuffleRng.permutation(B);
    for (let start = 0; start < B; start += mbSize) {
      const idx = perm.subarray(start, Math.min(B, start + mbSize));
      const n = idx.length;
      const obs = rows(batch.obs, D, idx);
      let actions: Tensor;
      if (batch.actions instanceof Int32Array) {
        const a = new Int32Array(n);
        for (let r = 0; r < n; r++) a[r] = batch.actions[idx[r]];
        actions = new Tensor(a, [n]);
      } else actions = rows(batch.actions, A, idx);
      const advRaw = new Float64Array(n);
      for (let r = 0; r < n; r++) advRaw[r] = batch.advantages[idx[r]];
      const adv = new Tensor(
        cfg.normAdv ? normalizeAdvantages(advRaw) : Float32Array.from(advRaw),
        [n],
      );

      const dist = o.distributionRows ? o.distributionRows(obs, idx) : actor.distribution(obs);
      const newLogProb = dist.logProb(actions);
      const entropy = dist.entropy();
      const newValue = reshape(critic.forward(obs), [n]);
      const pl = clippedPolicyLoss(
        newLogProb,
        new Tensor(pick(batch.logProbs, idx), [n]),
        adv,
        cfg.clipCoef,
      );
      const vl = valueLoss(
        newValue,
        new Tensor(pick(batch.values, idx), [n]),
        new Tensor(pick(batch.returns, idx), [n]),
        vClip,
      );
      const terms = ppoLoss(pl, vl, entropy, cfg.entCoef, cfg.vfCoef);
      let total = taskCoef === 1 ? terms.total : terms.total.mul(taskCoef);
      const extra =
        o.extraLoss?.({ obs, actions, advantages: adv, indices: idx, globalStep, update }) ?? null;
      if (extra) {
        total = total.add(extra.loss);
        for (const [k, v] of Object.entries(extra.stats ?? {})) sums[k] = (sums[k] ?? 0) + v;
      }
      assertFiniteLoss(total, update);
      for (const p of params) p.grad = null;
      total.backward();
      clipGradNorm(params, cfg.maxGradNorm);
      optimizer.step();
      steps++;
      sums.policyLoss += pl.loss.item();
      sums.valueLoss += vl.item();
      sums.entropy += terms.entropy.item();
      sums.approxKl += pl.approxKl;
      lastKl = pl.approxKl;
    }
    if (cfg.targetKl !== null && lastKl > cfg.targetKl) break;
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) out[k] = v / Math.max(1, steps);
  out.explainedVariance = explainedVariance(batch.values, batch.returns);
  return out;
}

/** The observation and action spaces of an env id (made once and closed). */
export function envSpacesOf(
  envId: string,
  envOptions: Record<string, unknown>,
): { observationSpace: Space<unknown>; actionSpace: Space<unknown> } {
  const env = make(envId, envOptions);
  try {
    return { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
  } finally {
    env.close();
  }
}
