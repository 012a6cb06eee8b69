/**
 * Proximal Policy Optimisation (Schulman et al. 2017), after CleanRL's ppo.py and
 * ppo_continuous_action.py: vectorised rollouts, GAE(lambda), per-minibatch advantage
 * normalisation, the clipped surrogate with value clipping and an entropy bonus, minibatch epochs,
 * linear learning-rate annealing, global gradient-norm clipping and an optional target-KL stop.
 * Discrete actions use a Categorical policy, 1-D Box actions a diagonal Gaussian with a learned
 * state-independent log-std, actions clipped into the Box when sent to the env (ClipAction).
 *
 * Two departures from CleanRL, both for correctness under Gymnasium 1.x vector envs:
 * - next-step autoreset: the step after an episode ends only resets the env, so that row is not
 *   a transition and is left out of the batch (CleanRL would train on it);
 * - a time-limit truncation is bootstrapped from V(final observation), which that reset row
 *   holds, instead of being treated as a termination (bootstrapTruncated: false restores it).
 * Observation / reward normalisation is done over the whole vector (as SB3's VecNormalize), so the
 * statistics travel with the saved agent and the async vector env needs no wrappers in workers.
 */
import { performance } from 'node:perf_hooks';
import { ConfigError, Generator, noGrad, Tensor } from '../../core/index.js';
import { Adam } from '../../optim/index.js';
import type { Env } from '../env.js';
import { make } from '../registry.js';
import { Box, Discrete, type Space } from '../spaces/index.js';
import {
  AsyncVectorEnv,
  SyncVectorEnv,
  type VectorResetResult,
  type VectorStepResult,
} from '../vector/index.js';
import {
  annealedLr,
  checkTrainOptions,
  EpisodeTracker,
  EvalCallback,
  type EvaluationRecord,
  flattenObservation,
  observationDim,
  resolveHyperparams,
  toEnvAction,
  type PolicyNetwork,
} from './common/index.js';
import type { MLP } from '../../nn/index.js';
import { buildPpoParts, loadPpoAgent, PPO_ALGO, PpoAgent } from './ppo/agent.js';
import { ppoSchema, PPO_TUNED, PPO_TUNED_EVALUATION, type PpoConfig } from './ppo/config.js';
import { computeGae } from './ppo/gae.js';
import type { PpoHooks } from './ppo/hooks.js';
import {
  RewardNormalizer,
  type ObservationNormalizer,
  type ValueNormalizer,
} from './ppo/normalize.js';
import { ppoUpdate, type PpoBatch } from './ppo/update.js';
import { registerAlgorithm } from './registry.js';
import type { AlgorithmRegistration, EpisodeRecord, TrainOptions, TrainResult } from './types.js';

export { PpoAgent, loadPpoAgent } from './ppo/agent.js';
export { ppoSchema, PPO_TUNED, PPO_CONTINUOUS_DEFAULTS, type PpoConfig } from './ppo/config.js';
export type * from './ppo/hooks.js';

/** The sync and async vector envs behind one awaitable interface. */
interface VecEnv {
  numEnvs: number;
  singleObservationSpace: Space<unknown>;
  singleActionSpace: Space<unknown>;
  reset(seed: number): Promise<VectorResetResult<unknown>>;
  step(actions: unknown[]): Promise<VectorStepResult<unknown>>;
  close(): Promise<void>;
}

async function openVectorEnv(
  cfg: PpoConfig,
  envId: string,
  envOptions: Record<string, unknown>,
): Promise<VecEnv> {
  if (cfg.vectorEnv === 'async') {
    const v = await AsyncVectorEnv.create({ id: envId, numEnvs: cfg.numEnvs, options: envOptions });
    return {
      numEnvs: v.numEnvs,
      singleObservationSpace: v.singleObservationSpace,
      singleActionSpace: v.singleActionSpace,
      reset: (seed) => v.reset({ seed }),
      step: (a) => v.step(a),
      close: () => v.close(),
    };
  }
  const fns = Array.from(
    { length: cfg.numEnvs },
    () => (): Env<unknown, unknown> => make(envId, envOptions),
  );
  const v = new SyncVectorEnv(fns);
  return {
    numEnvs: v.numEnvs,
    singleObservationSpace: v.singleObservationSpace,
    singleActionSpace: v.singleActionSpace,
    reset: async (seed) => v.reset({ seed }),
    step: async (a) => v.step(a),
    close: async () => v.close(),
  };
}

/** Wall-clock split of a training run, for finding where the time goes. */
export interface PpoTimings {
  rolloutSeconds: number;
  updateSeconds: number;
}

/** What a PPO run leaves: the trained networks and statistics, and its episodes. */
export interface PpoRun {
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
  cfg: PpoConfig;
  actor: PolicyNetwork;
  critic: MLP;
  obsNormalizer: ObservationNormalizer | null;
  valueNormalizer: ValueNormalizer | null;
  episodes: EpisodeRecord[];
  globalStep: number;
  timings: PpoTimings;
  /** The periodic evaluations (options.evaluation), in order. */
  evaluations: EvaluationRecord[];
}

export async function trainPpo(
  options: TrainOptions,
): Promise<TrainResult & { timings: PpoTimings }> {
  const start = performance.now();
  const run = await runPpo(options);
  const agent = new PpoAgent(
    options.envId,
    options.envOptions ?? {},
    run.observationSpace,
    run.actionSpace,
    run.cfg,
    run.actor,
    run.critic,
    run.obsNormalizer,
    run.valueNormalizer,
    options.seed,
  );
  if (options.outDir) await agent.save(options.outDir);
  return {
    agent,
    episodes: run.episodes,
    seconds: (performance.now() - start) / 1000,
    timings: run.timings,
    ...(options.evaluation ? { evaluations: run.evaluations } : {}),
  };
}

/** The PPO loop itself; `hooks` (./ppo/hooks.ts) let a transfer method add to it. */
export async function runPpo(options: TrainOptions, hooks: PpoHooks = {}): Promise<PpoRun> {
  const start = performance.now();
  checkTrainOptions(PPO_ALGO, options);
  const cfg = resolveHyperparams(ppo, options.envId, options.hyperparams);
  const envOptions = options.envOptions ?? {};
  if (options.evaluation && hooks.setup) {
    // The best checkpoint would hold the hook's networks, which loadPpoAgent cannot read back.
    throw new ConfigError(
      'ppo: evaluation during training needs the plain PPO networks (no setup hook)',
    );
  }
  const evalCb = options.evaluation ? new EvalCallback(options.evaluation, PPO_ALGO) : null;
  const root = new Generator(options.seed);
  const initRng = root.spawn();
  const actRng = root.spawn();
  const shuffleRng = root.spawn();
  const envs = await openVectorEnv(cfg, options.envId, envOptions);
  try {
    const obsSpace = envs.singleObservationSpace;
    const actSpace = envs.singleActionSpace;
    const setup = hooks.setup
      ? await hooks.setup({
          observationSpace: obsSpace,
          actionSpace: actSpace,
          cfg,
          initRng,
          rng: root,
        })
      : {};
    const parts = buildPpoParts(obsSpace, actSpace, cfg, setup.networks ? null : initRng);
    if (options.initialCheckpoint !== undefined) {
      if (setup.networks) {
        throw new ConfigError(
          `ppo: initialCheckpoint ${options.initialCheckpoint} cannot initialise networks a hook built`,
        );
      }
      await initFromCheckpoint(options.initialCheckpoint, parts, obsSpace, actSpace, cfg);
    }
    const { actor, critic } = setup.networks ?? parts;
    const { obsNormalizer, valueNormalizer } = parts;
    const optimizer = new Adam([...actor.parameters(), ...critic.parameters()], {
      lr: cfg.learningRate,
      eps: cfg.adamEps,
    });
    const rewardNormalizer = cfg.normalizeReward
      ? new RewardNormalizer(cfg.numEnvs, cfg.gamma, cfg.clipReward)
      : null;
    const tracker = new EpisodeTracker(options);

    const N = envs.numEnvs;
    const T = cfg.numSteps;
    const D = observationDim(obsSpace);
    const discrete = actSpace instanceof Discrete;
    const A = discrete ? 1 : (actSpace as Box).size;
    const startStep = setup.startStep ?? 0;
    const numUpdates = Math.max(1, Math.ceil((options.totalSteps - startStep) / (N * T)));

    // Rollout storage, step-major: row t * N + i.
    const obsBuf = new Float32Array(T * N * D);
    const actBuf = discrete ? new Int32Array(T * N) : new Float32Array(T * N * A);
    const logpBuf = new Float32Array(T * N);
    const valBuf = new Float32Array(T * N);
    const rewBuf = new Float64Array(T * N);
    const termBuf = new Uint8Array(T * N);
    const truncBuf = new Uint8Array(T * N);
    const validBuf = new Uint8Array(T * N);
    const bootBuf = new Float64Array(T * N);

    // The current (normalised) observations; normalised once, when they arrive.
    const cur = new Float32Array(N * D);
    const setObs = (observations: unknown[]): void => {
      for (let i = 0; i < N; i++) cur.set(flattenObservation(obsSpace, observations[i]), i * D);
      obsNormalizer?.apply(cur, N, true);
    };
    setObs((await envs.reset(options.seed)).observations);
    const needsReset = new Uint8Array(N);
    const epReturn = new Float64Array(N);
    const epLength = new Int32Array(N);
    let globalStep = startStep;
    const timings: PpoTimings = { rolloutSeconds: 0, updateSeconds: 0 };
    const evalAgent = (): PpoAgent =>
      new PpoAgent(
        options.envId,
        envOptions,
        obsSpace,
        actSpace,
        cfg,
        actor,
        critic,
        obsNormalizer,
        valueNormalizer,
      );

    for (let update = 1; update <= numUpdates; update++) {
      const lr = cfg.annealLr ? annealedLr(cfg.learningRate, update, numUpdates) : cfg.learningRate;
      optimizer.paramGroups[0].lr = lr;
      // rl-zoo's lin_0.2 clip range falls on the same line as the learning rate.
      const clipCoef = cfg.annealClip ? annealedLr(cfg.clipCoef, update, numUpdates) : cfg.clipCoef;
      const t0 = performance.now();
      for (let t = 0; t < T; t++) {
        const row = t * N;
        obsBuf.set(cur, row * D);
        const x = new Tensor(obsBuf.subarray(row * D, (row + N) * D), [N, D]);
        const { action, logp, value } = noGrad(() => {
          const dist = actor.distribution(x);
          const a = dist.sample(actRng);
          return { action: a, logp: dist.logProb(a), value: critic.forward(x) };
        });
        actBuf.set(action.data, row * A);
        logpBuf.set(logp.data, row);
        valBuf.set(value.data, row);
        const envActions: unknown[] = [];
        for (let i = 0; i < N; i++) envActions.push(toEnvAction(actSpace, action, i));
        const res = await envs.step(envActions);
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
            rewBuf[k] = rewardNormalizer ? rewardNormalizer.apply(i, r, term) : r;
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
      valueNormalizer?.denormalize(values);
      valueNormalizer?.denormalize(lastValues);
      // A truncated row's final observation is the next row's (the autoreset row) or `cur`.
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
      const t1 = performance.now();
      const batch = compactBatch(
        validBuf,
        D,
        A,
        obsBuf,
        actBuf,
        logpBuf,
        values,
        advantages,
        returns,
      );
      if (valueNormalizer) {
        valueNormalizer.update(batch.returns);
        valueNormalizer.normalize(batch.values);
        valueNormalizer.normalize(batch.returns);
      }
      hooks.afterRollout?.({
        obs: batch.actorObs,
        actions: batch.actions,
        rows: batch.size,
        globalStep,
        update,
      });
      const updateCfg = clipCoef === cfg.clipCoef ? cfg : { ...cfg, clipCoef };
      const stats = ppoUpdate(
        { actor, critic },
        optimizer,
        batch,
        updateCfg,
        shuffleRng,
        update,
        hooks,
      );
      hooks.afterUpdate?.({ globalStep, update, stats: stats.extra });
      const t2 = performance.now();
      timings.rolloutSeconds += (t1 - t0) / 1000;
      timings.updateSeconds += (t2 - t1) / 1000;
      tracker.progress(
        globalStep,
        {
          learningRate: lr,
          policyLoss: stats.policyLoss,
          valueLoss: stats.valueLoss,
          entropy: stats.entropy,
          approxKl: stats.approxKl,
          clipFraction: stats.clipFraction,
          explainedVariance: stats.explainedVariance,
          epochs: stats.epochs,
          clipCoef,
          sps: globalStep / ((performance.now() - start) / 1000),
          ...stats.extra,
        },
        true,
      );
      if (evalCb) await evalCb.maybeEvaluate(globalStep, evalAgent);
    }
    return {
      observationSpace: obsSpace,
      actionSpace: actSpace,
      cfg,
      actor,
      critic,
      obsNormalizer,
      valueNormalizer,
      episodes: tracker.episodes,
      globalStep,
      timings,
      evaluations: evalCb?.evaluations ?? [],
    };
  } finally {
    await envs.close();
  }
}

/**
 * Fine-tuning: copy a PPO checkpoint's actor, critic and normalisation statistics (same spaces,
 * activation and normalisation settings; hidden sizes are checked by the state-dict load).
 */
async function initFromCheckpoint(
  dir: string,
  parts: ReturnType<typeof buildPpoParts>,
  obsSpace: Space<unknown>,
  actSpace: Space<unknown>,
  cfg: PpoConfig,
): Promise<void> {
  const init = await loadPpoAgent(dir);
  if (!init.observationSpace.equals(obsSpace) || !init.actionSpace.equals(actSpace)) {
    throw new ConfigError(
      `ppo: initialCheckpoint ${dir} has spaces ${init.observationSpace.toString().slice(0, 80)} / ${init.actionSpace.toString().slice(0, 80)}, the env has ${obsSpace.toString().slice(0, 80)} / ${actSpace.toString().slice(0, 80)}`,
    );
  }
  const h = init.hyperparams;
  if (
    h.activation !== cfg.activation ||
    h.normalizeObservation !== cfg.normalizeObservation ||
    h.normalizeValue !== cfg.normalizeValue
  ) {
    throw new ConfigError(
      `ppo: initialCheckpoint ${dir} has activation/normalizeObservation/normalizeValue ${h.activation}/${h.normalizeObservation}/${h.normalizeValue}, the hyperparams ${cfg.activation}/${cfg.normalizeObservation}/${cfg.normalizeValue}`,
    );
  }
  parts.actor.loadStateDict(init.actor.stateDict());
  parts.critic.loadStateDict(init.critic.stateDict());
  if (init.obsNormalizer) parts.obsNormalizer?.load(init.obsNormalizer.toJSON(), dir);
  if (init.valueNormalizer) parts.valueNormalizer?.load(init.valueNormalizer.toJSON(), dir);
}

/** The valid rows of the rollout as a PpoBatch (the critic reads the actor's input). */
function compactBatch(
  valid: Uint8Array,
  D: number,
  A: number,
  obs: Float32Array,
  actions: Int32Array | Float32Array,
  logp: Float32Array,
  values: Float64Array,
  adv: Float64Array,
  ret: Float64Array,
): PpoBatch {
  let n = 0;
  for (const v of valid) n += v;
  const b: PpoBatch = {
    size: n,
    actorDim: D,
    actorObs: new Float32Array(n * D),
    criticDim: D,
    criticObs: new Float32Array(0),
    actions: actions instanceof Int32Array ? new Int32Array(n) : new Float32Array(n * A),
    actionDim: A,
    logProbs: new Float32Array(n),
    values: new Float32Array(n),
    advantages: new Float64Array(n),
    returns: new Float64Array(n),
  };
  b.criticObs = b.actorObs;
  let j = 0;
  for (let k = 0; k < valid.length; k++) {
    if (!valid[k]) continue;
    b.actorObs.set(obs.subarray(k * D, k * D + D), j * D);
    b.actions.set(actions.subarray(k * A, k * A + A), j * A);
    b.logProbs[j] = logp[k];
    b.values[j] = values[k];
    b.advantages[j] = adv[k];
    b.returns[j] = ret[k];
    j++;
  }
  return b;
}

export const ppo: AlgorithmRegistration<typeof ppoSchema> = {
  name: PPO_ALGO,
  envKind: 'single',
  schema: ppoSchema,
  tunedDefaults: PPO_TUNED,
  evaluation: { tuned: PPO_TUNED_EVALUATION },
  train: trainPpo,
  load: loadPpoAgent,
};

registerAlgorithm(ppo as unknown as AlgorithmRegistration);
