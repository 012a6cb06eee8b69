/**
 * Deep Q-Network (Mnih et al. 2015), read top to bottom as CleanRL's dqn.py: an online Q-network
 * and a target network, epsilon-greedy exploration on a linear schedule, a replay buffer, and a
 * TD regression every `trainFrequency` env steps once `learningStarts` steps are stored. Options
 * from SB3 / rl-zoo: several gradient steps per update, Polyak averaging (tau), the Huber loss,
 * gradient clipping, and double DQN (van Hasselt et al. 2016: the online network picks the next
 * action, the target network values it).
 *
 * Defaults are CleanRL's; CartPole-v1 uses rl-zoo's hyperparameters (tunedDefaults). The
 * loop counts steps as SB3 does, which those hyperparameters assume: uniformly random actions for
 * the first learningStarts steps, then target updates and training rounds keyed to the number of
 * transitions stored. Measured over seeds 1..15 (bench/rl-solve.ts, docs/benchmarks.md: 50k
 * steps, 100 deterministic eval episodes, solved at >= 475): every run reaches 500 along the way
 * (at 22.5k-40k steps) and then oscillates, so the final weights solve 8 of 15 seeds (seeds 6..10
 * end at 391.7, 215.7, 139.9, 308.2 and 253.3) while the best checkpoint of a periodic
 * evaluation (TrainOptions.evaluation, on by default in `osmosis rl train`, SB3's EvalCallback as
 * rl-zoo keeps it) solves 15 of 15 with 500 +- 0, and the fresh seeds 101..105 5 of 5 (final
 * weights: 4 of 5). Each run takes 73-118 s of CPU. With CleanRL's
 * step counting (epsilon-greedy warm-up, training one step later) the final weights of seeds
 * 1..10 gave 181.4, 500, 500, 54.7, 434.9, 116.9, 500, 500, 500 and 495.3 (6 of 10).
 * `examples/cartpole-dqn.ts` reproduces seed 1.
 */
import { z } from 'zod';
import {
  CheckpointError,
  ConfigError,
  gather,
  Generator,
  huberLoss,
  memoryScope,
  mseLoss,
  noGrad,
  reshape,
  Tensor,
} from '../../core/index.js';
import type { MLP, Module } from '../../nn/index.js';
import { Adam, assertFiniteLoss, clipGradNorm } from '../../optim/index.js';
import { Discrete, type Space } from '../spaces/index.js';
import { ReplayBuffer, type ReplayBatch } from './buffers/replay.js';
import {
  checkTrainOptions,
  EpisodeTracker,
  EvalCallback,
  type EvaluationRecord,
  episodeStats,
  flattenObservation,
  linearSchedule,
  loadAgentCheckpoint,
  makeQNetwork,
  makeTrainingEnv,
  observationDim,
  resolveHyperparams,
  restoreNetworks,
  saveAgentCheckpoint,
  type SeedableAgent,
} from './common/index.js';
import type { DqnHooks, QNetwork } from './dqn/hooks.js';
import { registerAlgorithm } from './registry.js';
import type {
  AlgorithmRegistration,
  EpisodeRecord,
  EvaluationDefaults,
  TrainOptions,
  TrainResult,
} from './types.js';

export const dqnSchema = z
  .object({
    learningRate: z.number().positive().default(2.5e-4),
    bufferSize: z.number().int().positive().default(10_000),
    gamma: z.number().min(0).max(1).default(0.99),
    /** Target update weight: 1 is a hard copy, < 1 Polyak averaging. */
    tau: z.number().gt(0).max(1).default(1),
    /** Env steps between target updates. */
    targetUpdateInterval: z.number().int().positive().default(500),
    batchSize: z.number().int().positive().default(128),
    startEpsilon: z.number().min(0).max(1).default(1),
    endEpsilon: z.number().min(0).max(1).default(0.05),
    /** Fraction of totalSteps over which epsilon falls from start to end. */
    explorationFraction: z.number().min(0).max(1).default(0.5),
    /** Env steps of uniformly random actions (SB3's warm-up) before the first update. */
    learningStarts: z.number().int().min(0).default(10_000),
    /** Env steps between updates. */
    trainFrequency: z.number().int().positive().default(10),
    /** Gradient steps per update. */
    gradientSteps: z.number().int().positive().default(1),
    loss: z.enum(['mse', 'huber']).default('mse'),
    doubleDqn: z.boolean().default(false),
    /** Clip the global gradient norm (SB3 uses 10); null for none. */
    maxGradNorm: z.number().positive().nullable().default(null),
    hidden: z.array(z.number().int().positive()).min(1).default([120, 84]),
    activation: z.enum(['relu', 'tanh']).default('relu'),
  })
  .strict();

export type DQNHyperparams = z.infer<typeof dqnSchema>;
export type * from './dqn/hooks.js';

/**
 * rl-zoo's hyperparams/dqn.yml ("Almost Tuned" for CartPole-v1, budget 5e4 steps); the Huber loss
 * and maxGradNorm 10 are SB3's DQN defaults, which that file leaves implicit.
 */
const tunedDefaults: Record<string, Partial<DQNHyperparams>> = {
  'CartPole-v1': {
    learningRate: 2.3e-3,
    batchSize: 64,
    bufferSize: 100_000,
    learningStarts: 1000,
    gamma: 0.99,
    targetUpdateInterval: 10,
    trainFrequency: 256,
    gradientSteps: 128,
    explorationFraction: 0.16,
    endEpsilon: 0.04,
    loss: 'huber',
    maxGradNorm: 10,
    hidden: [256, 256],
  },
};

/**
 * The periodic evaluation `osmosis rl train` runs by default (its best checkpoint is what users
 * evaluate, as rl-zoo's best_model): 20 evaluations over the 50k-step budget, 20 episodes each,
 * the setting under which the best checkpoint solved seeds 1..15 (docs/benchmarks.md).
 */
const tunedEvaluation: Record<string, EvaluationDefaults> = {
  'CartPole-v1': { every: 2500, episodes: 20 },
};

/** A greedy (or epsilon-greedy) policy over a Q-network. */
export class DQNAgent implements SeedableAgent {
  readonly algo = 'dqn';
  private rng: Generator;
  private readonly input: Tensor;

  constructor(
    readonly qNetwork: MLP,
    readonly envId: string,
    readonly envOptions: Record<string, unknown>,
    readonly observationSpace: Space<unknown>,
    readonly actionSpace: Discrete,
    readonly hyperparams: DQNHyperparams,
    seed = 0,
  ) {
    this.rng = new Generator(seed);
    const dim = observationDim(observationSpace);
    this.input = new Tensor(new Float32Array(dim), [1, dim]);
  }

  seed(seed: number): void {
    this.rng = new Generator(seed);
  }

  /** Q(s, .) for one flattened observation. */
  qValues(observation: ArrayLike<number>): Float32Array {
    this.input.data.set(observation);
    return noGrad(() => this.qNetwork.forward(this.input)).data as Float32Array;
  }

  /**
   * The greedy action, or (deterministic false, the default as SB3's predict) epsilon-greedy
   * with the final exploration rate.
   */
  act(observation: unknown, options: { deterministic?: boolean } = {}): number {
    const obs = observation as ArrayLike<number>;
    if (!options.deterministic && this.rng.uniform() < this.hyperparams.endEpsilon) {
      return this.actionSpace.sample(this.rng);
    }
    return this.actionSpace.start + argmax(this.qValues(obs));
  }

  async save(dir: string): Promise<void> {
    await saveAgentCheckpoint(dir, {
      algo: this.algo,
      envId: this.envId,
      envOptions: this.envOptions,
      observationSpace: this.observationSpace,
      actionSpace: this.actionSpace,
      hyperparams: this.hyperparams,
      networks: { q_network: this.qNetwork },
    });
  }
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/**
 * The TD targets y_b = r_b + gamma * Q'(s'_b, a*) * (1 - terminated_b) into `out`, from the
 * target network's next-state values `qNext` [B, A]; a* maximises `greedy` (the online network's
 * values: double DQN) or, when it is null, `qNext` itself.
 */
export function tdTargets(
  out: Float32Array,
  qNext: ArrayLike<number>,
  greedy: ArrayLike<number> | null,
  batch: Pick<ReplayBatch, 'rewards' | 'terminations'>,
  gamma: number,
): void {
  const B = out.length;
  const A = qNext.length / B;
  for (let b = 0; b < B; b++) {
    let v: number;
    if (greedy) {
      let best = 0;
      for (let a = 1; a < A; a++) if (greedy[b * A + a] > greedy[b * A + best]) best = a;
      v = qNext[b * A + best];
    } else {
      v = qNext[b * A];
      for (let a = 1; a < A; a++) v = Math.max(v, qNext[b * A + a]);
    }
    const notDone = 1 - batch.terminations.data[b];
    out[b] = batch.rewards.data[b] + gamma * v * notDone;
  }
}

/** target <- tau * online + (1 - tau) * target, in place (tau = 1 copies). */
function updateTarget(online: Module, target: Module, tau: number): void {
  const src = online.stateDict({ share: true });
  for (const [name, t] of target.stateDict({ share: true })) {
    const s = src.get(name)!.data;
    const d = t.data;
    if (tau === 1) d.set(s);
    else for (let i = 0; i < d.length; i++) d[i] = tau * s[i] + (1 - tau) * d[i];
  }
}

/** What a DQN run leaves: the trained Q-network and the episodes. */
export interface DqnRun {
  online: QNetwork;
  observationSpace: Space<unknown>;
  actionSpace: Discrete;
  hp: DQNHyperparams;
  episodes: EpisodeRecord[];
  /** The periodic evaluations (options.evaluation), in order. */
  evaluations: EvaluationRecord[];
}

export async function trainDQN(options: TrainOptions): Promise<TrainResult & { agent: DQNAgent }> {
  const started = performance.now();
  const run = await runDQN(options);
  const agent = new DQNAgent(
    // Without a setup hook the online network is the MLP runDQN built.
    run.online as MLP,
    options.envId,
    options.envOptions ?? {},
    run.observationSpace,
    run.actionSpace,
    run.hp,
    options.seed,
  );
  if (options.outDir) await agent.save(options.outDir);
  return {
    agent,
    episodes: run.episodes,
    seconds: (performance.now() - started) / 1000,
    ...(options.evaluation ? { evaluations: run.evaluations } : {}),
  };
}

/** The DQN loop itself; `hooks` let a transfer method add to it. */
export async function runDQN(options: TrainOptions, hooks: DqnHooks = {}): Promise<DqnRun> {
  checkTrainOptions('dqn', options);
  const hp = resolveHyperparams(dqnRegistration, options.envId, options.hyperparams);
  const envOptions = options.envOptions ?? {};
  if (options.evaluation && hooks.setup) {
    // The best checkpoint would hold the hook's networks, which loadDQN cannot read back.
    throw new ConfigError(
      'dqn: evaluation during training needs the plain Q-network (no setup hook)',
    );
  }
  const evalCb = options.evaluation ? new EvalCallback(options.evaluation, 'dqn') : null;
  const env = makeTrainingEnv(options.envId, envOptions);
  const actionSpace = env.actionSpace;
  if (!(actionSpace instanceof Discrete)) {
    env.close();
    throw new ConfigError(
      `dqn: '${options.envId}' has a ${actionSpace.constructor.name} action space; DQN needs Discrete`,
    );
  }
  const obsSpace = env.observationSpace;
  const obsDim = observationDim(obsSpace);

  // One seed, split into independent streams: weights, exploration, replay sampling.
  const root = new Generator(options.seed);
  const initRng = root.spawn();
  const actRng = root.spawn();
  const sampleRng = root.spawn();

  let qNetwork: QNetwork;
  let targetNetwork: QNetwork;
  if (hooks.setup) {
    if (options.initialCheckpoint !== undefined) {
      env.close();
      throw new ConfigError(
        `dqn: initialCheckpoint ${options.initialCheckpoint} cannot initialise networks a hook built`,
      );
    }
    const nets = hooks.setup({ observationSpace: obsSpace, actionSpace, hp, initRng, rng: root });
    qNetwork = nets.online;
    targetNetwork = nets.target;
  } else {
    const net = { hidden: hp.hidden, activation: hp.activation };
    const online = makeQNetwork(obsSpace, actionSpace, { ...net, rng: initRng });
    if (options.initialCheckpoint !== undefined) {
      await initFromCheckpoint(options.initialCheckpoint, online, obsSpace, actionSpace, hp);
    }
    qNetwork = online;
    targetNetwork = makeQNetwork(obsSpace, actionSpace, { ...net, skipInit: true });
  }
  updateTarget(qNetwork, targetNetwork, 1);
  targetNetwork.requiresGrad_(false);
  const optimizer = new Adam(qNetwork.parameters(), { lr: hp.learningRate });
  const input = new Tensor(new Float32Array(obsDim), [1, obsDim]);
  const qValues = (observation: Float32Array): Float32Array => {
    input.data.set(observation);
    return noGrad(() => qNetwork.forward(input)).data as Float32Array;
  };

  const rb = new ReplayBuffer({
    capacity: Math.min(hp.bufferSize, options.totalSteps),
    obsDim,
    actionType: 'discrete',
    batchSize: hp.batchSize,
  });
  const B = hp.batchSize;
  const tdTarget = new Tensor(new Float32Array(B), [B]);
  const actionIndex = new Tensor(new Int32Array(B), [B, 1]);
  const tracker = new EpisodeTracker(options);
  const explorationSteps = hp.explorationFraction * options.totalSteps;
  let lastLoss = NaN;
  let lastQ = NaN;
  let updates = 0;
  let extraSums: Record<string, number> = {};
  let extraStats: Record<string, number> = {};

  // The gradient step's activations and gradient buffers go back to the memory pool when it
  // ends, so the next step reuses them (core/memory/scope.ts).
  const trainStep = (globalStep: number): void =>
    memoryScope(() => {
      const batch = rb.sample(sampleRng);
      const y = tdTarget.data as Float32Array;
      noGrad(() => {
        const qNext = targetNetwork.forward(batch.nextObservations).data;
        const greedy = hp.doubleDqn ? qNetwork.forward(batch.nextObservations).data : null;
        tdTargets(y, qNext, greedy, batch, hp.gamma);
      });
      actionIndex.data.set(batch.actions.data);
      const q = qNetwork.forward(batch.observations);
      const qTaken = reshape(gather(q, 1, actionIndex), [B]);
      const loss = hp.loss === 'huber' ? huberLoss(qTaken, tdTarget) : mseLoss(qTaken, tdTarget);
      let total = loss;
      const extra = hooks.extraLoss?.(batch, { globalStep }) ?? null;
      if (extra) {
        total = total.add(extra.loss);
        for (const [k, v] of Object.entries(extra.stats ?? {}))
          extraSums[k] = (extraSums[k] ?? 0) + v;
      }
      lastLoss = assertFiniteLoss(total, updates);
      let qs = 0;
      for (let b = 0; b < B; b++) qs += qTaken.data[b];
      lastQ = qs / B;
      optimizer.zeroGrad();
      total.backward();
      if (hp.maxGradNorm !== null) clipGradNorm(qNetwork.parameters(), hp.maxGradNorm);
      optimizer.step();
      updates += 1;
    });

  const evalAgent = (): DQNAgent =>
    new DQNAgent(qNetwork as MLP, options.envId, envOptions, obsSpace, actionSpace, hp);

  const { observation } = env.reset({ seed: options.seed });
  let obs = Float32Array.from(flattenObservation(obsSpace, observation));
  let epsilon = hp.startEpsilon;
  try {
    for (let globalStep = 0; globalStep < options.totalSteps; globalStep++) {
      epsilon = linearSchedule(hp.startEpsilon, hp.endEpsilon, explorationSteps, globalStep);
      // SB3's warm-up: uniformly random actions until learningStarts transitions are stored.
      const explore = globalStep < hp.learningStarts || actRng.uniform() < epsilon;
      const action = explore
        ? actionSpace.sample(actRng)
        : actionSpace.start + argmax(qValues(obs));
      const r = env.step(action);
      // On truncation r.observation is the true final observation: bootstrap from it.
      const nextObs = flattenObservation(obsSpace, r.observation);
      rb.add(obs, nextObs, action - actionSpace.start, r.reward, r.terminated);
      const stats = episodeStats(r.info);
      if (stats) tracker.episode(globalStep + 1, stats.r, stats.l);
      if (r.terminated || r.truncated) {
        obs = Float32Array.from(flattenObservation(obsSpace, env.reset().observation));
      } else {
        obs = Float32Array.from(nextObs);
      }

      // Counted as SB3's num_timesteps (transitions stored so far): the target follows every
      // targetUpdateInterval env steps from the start, and a round of gradientSteps runs after
      // each trainFrequency steps once more than learningStarts are stored.
      const stored = globalStep + 1;
      if (stored % hp.targetUpdateInterval === 0) updateTarget(qNetwork, targetNetwork, hp.tau);
      if (stored > hp.learningStarts && stored % hp.trainFrequency === 0) {
        extraSums = {};
        for (let g = 0; g < hp.gradientSteps; g++) trainStep(stored);
        extraStats = Object.fromEntries(
          Object.entries(extraSums).map(([k, v]) => [k, v / hp.gradientSteps]),
        );
        hooks.afterTrain?.({ globalStep: stored, stats: extraStats });
      }
      tracker.progress(globalStep + 1, { epsilon, loss: lastLoss, q: lastQ, ...extraStats });
      if (evalCb) await evalCb.maybeEvaluate(stored, evalAgent);
    }
  } finally {
    env.close();
  }
  tracker.progress(options.totalSteps, { epsilon, loss: lastLoss, q: lastQ, ...extraStats }, true);
  return {
    online: qNetwork,
    observationSpace: obsSpace,
    actionSpace,
    hp,
    episodes: tracker.episodes,
    evaluations: evalCb?.evaluations ?? [],
  };
}

/** Fine-tuning: copy a DQN checkpoint's Q-network (same spaces and architecture) into `qNetwork`. */
async function initFromCheckpoint(
  dir: string,
  qNetwork: MLP,
  obsSpace: Space<unknown>,
  actionSpace: Discrete,
  hp: DQNHyperparams,
): Promise<void> {
  const init = await loadDQN(dir);
  if (!init.observationSpace.equals(obsSpace) || !init.actionSpace.equals(actionSpace)) {
    throw new ConfigError(
      `dqn: initialCheckpoint ${dir} has spaces ${init.observationSpace.toString().slice(0, 80)} / ${init.actionSpace.toString()}, the env has ${obsSpace.toString().slice(0, 80)} / ${actionSpace.toString()}`,
    );
  }
  if (init.hyperparams.activation !== hp.activation) {
    throw new ConfigError(
      `dqn: initialCheckpoint ${dir} uses activation '${init.hyperparams.activation}', the hyperparams '${hp.activation}'`,
    );
  }
  qNetwork.loadStateDict(init.qNetwork.stateDict());
}

export async function loadDQN(dir: string): Promise<DQNAgent> {
  const ckpt = await loadAgentCheckpoint(dir, { algo: 'dqn', schema: dqnSchema });
  const hp = ckpt.hyperparams;
  const actionSpace = ckpt.actionSpace;
  if (!(actionSpace instanceof Discrete)) {
    throw new CheckpointError(
      `${dir}/config.json: field 'actionSpace': DQN needs a Discrete action space, got ${actionSpace.constructor.name}`,
    );
  }
  const qNetwork = makeQNetwork(ckpt.observationSpace, actionSpace, {
    hidden: hp.hidden,
    activation: hp.activation,
    skipInit: true,
  });
  restoreNetworks(ckpt, { q_network: qNetwork });
  return new DQNAgent(
    qNetwork,
    ckpt.config.envId,
    ckpt.config.envOptions,
    ckpt.observationSpace,
    actionSpace,
    hp,
  );
}

export const dqnRegistration: AlgorithmRegistration<typeof dqnSchema> = {
  name: 'dqn',
  envKind: 'single',
  schema: dqnSchema,
  tunedDefaults,
  evaluation: { tuned: tunedEvaluation },
  train: trainDQN,
  load: loadDQN,
};

registerAlgorithm(dqnRegistration);
