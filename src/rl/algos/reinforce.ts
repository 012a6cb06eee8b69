/**
 * REINFORCE with a learned baseline (Williams 1992; Sutton & Barto 2018, sec. 13.4): play whole
 * episodes with the stochastic policy, compute each step's Monte-Carlo return
 * G_t = r_t + gamma G_{t+1}, and ascend sum_t log pi(a_t|s_t) (G_t - V(s_t)) while regressing
 * V(s_t) on G_t. Advantages are normalised over the batch of episodes; an entropy bonus is
 * optional. An episode cut by a time limit is bootstrapped with V of its final observation, so a
 * truncation is not mistaken for the end of the task.
 */
import { z } from 'zod';
import {
  CheckpointError,
  Generator,
  memoryScope,
  mseLoss,
  noGrad,
  reshape,
  Tensor,
  type FloatArray,
} from '../../core/index.js';
import type { MLP } from '../../nn/index.js';
import { Adam, assertFiniteLoss, clipGradNorm } from '../../optim/index.js';
import { Box, Discrete, type Space } from '../spaces/index.js';
import {
  checkTrainOptions,
  EpisodeTracker,
  episodeStats,
  flattenObservation,
  loadAgentCheckpoint,
  makePolicyNetwork,
  makeTrainingEnv,
  makeValueNetwork,
  observationDim,
  resolveHyperparams,
  restoreNetworks,
  saveAgentCheckpoint,
  toEnvAction,
  type PolicyNetwork,
  type SeedableAgent,
} from './common/index.js';
import { registerAlgorithm } from './registry.js';
import type { AlgorithmRegistration, TrainOptions, TrainResult } from './types.js';

export const reinforceSchema = z
  .object({
    learningRate: z.number().positive().default(1e-3),
    gamma: z.number().min(0).max(1).default(0.99),
    /** Episodes collected per gradient step. */
    episodesPerUpdate: z.number().int().positive().default(2),
    /** Subtract a learned V(s) from the returns (false: plain REINFORCE). */
    baseline: z.boolean().default(true),
    normalizeAdvantages: z.boolean().default(true),
    /** Weight of the entropy bonus. */
    entCoef: z.number().min(0).default(0),
    /** Weight of the value regression loss. */
    vfCoef: z.number().min(0).default(0.5),
    maxGradNorm: z.number().positive().nullable().default(null),
    hidden: z.array(z.number().int().positive()).min(1).default([64, 64]),
    activation: z.enum(['relu', 'tanh']).default('relu'),
  })
  .strict();

export type ReinforceHyperparams = z.infer<typeof reinforceSchema>;

export class ReinforceAgent implements SeedableAgent {
  readonly algo = 'reinforce';
  private rng: Generator;
  private readonly input: Tensor;

  constructor(
    readonly policy: PolicyNetwork,
    readonly value: MLP,
    readonly envId: string,
    readonly envOptions: Record<string, unknown>,
    readonly observationSpace: Space<unknown>,
    readonly actionSpace: Space<unknown>,
    readonly hyperparams: ReinforceHyperparams,
    seed = 0,
  ) {
    this.rng = new Generator(seed);
    const dim = observationDim(observationSpace);
    this.input = new Tensor(new Float32Array(dim), [1, dim]);
  }

  seed(seed: number): void {
    this.rng = new Generator(seed);
  }

  /** The policy's raw action row for one observation: int32 [1] or float [1, D]. */
  actRaw(observation: ArrayLike<number>, deterministic: boolean, rng = this.rng): Tensor {
    this.input.data.set(observation);
    return noGrad(() => {
      const dist = this.policy.distribution(this.input);
      return deterministic ? dist.mode() : dist.sample(rng);
    });
  }

  /** Samples from the policy, or (deterministic) takes its mode. */
  act(observation: unknown, options: { deterministic?: boolean } = {}): unknown {
    const raw = this.actRaw(observation as ArrayLike<number>, options.deterministic ?? false);
    return toEnvAction(this.actionSpace, raw);
  }

  async save(dir: string): Promise<void> {
    await saveAgentCheckpoint(dir, {
      algo: this.algo,
      envId: this.envId,
      envOptions: this.envOptions,
      observationSpace: this.observationSpace,
      actionSpace: this.actionSpace,
      hyperparams: this.hyperparams,
      networks: { policy: this.policy, value: this.value },
    });
  }
}

/** Episodes of one update, flattened: observations, actions and returns per step. */
class EpisodeBatch {
  obs: number[] = [];
  actions: number[] = [];
  returns: number[] = [];
  steps = 0;

  constructor(
    readonly obsDim: number,
    readonly actionDim: number,
  ) {}

  /** Append one episode; `tail` is the bootstrap value after its last step (0 if terminated). */
  addEpisode(obs: number[], actions: number[], rewards: number[], gamma: number, tail: number) {
    const T = rewards.length;
    const returns = new Array<number>(T);
    let g = tail;
    for (let t = T - 1; t >= 0; t--) {
      g = rewards[t] + gamma * g;
      returns[t] = g;
    }
    for (const v of obs) this.obs.push(v);
    for (const v of actions) this.actions.push(v);
    for (const v of returns) this.returns.push(v);
    this.steps += T;
  }
}

export async function trainReinforce(
  options: TrainOptions,
): Promise<TrainResult & { agent: ReinforceAgent }> {
  const started = performance.now();
  checkTrainOptions('reinforce', options);
  const hp = resolveHyperparams(reinforceRegistration, options.envId, options.hyperparams);
  const envOptions = options.envOptions ?? {};
  const env = makeTrainingEnv(options.envId, envOptions);
  const obsSpace = env.observationSpace;
  const actionSpace = env.actionSpace;
  const obsDim = observationDim(obsSpace);
  const discrete = actionSpace instanceof Discrete;
  const actionDim = discrete ? 1 : (actionSpace as Box).size;

  const root = new Generator(options.seed);
  const initRng = root.spawn();
  const actRng = root.spawn();
  const net = { hidden: hp.hidden, activation: hp.activation, rng: initRng };
  const policy = makePolicyNetwork(obsSpace, actionSpace, net);
  const value = makeValueNetwork(obsSpace, net);
  const params = hp.baseline
    ? [...policy.parameters(), ...value.parameters()]
    : policy.parameters();
  const optimizer = new Adam(params, { lr: hp.learningRate });
  const agent = new ReinforceAgent(
    policy,
    value,
    options.envId,
    envOptions,
    obsSpace,
    actionSpace,
    hp,
    options.seed,
  );
  const tracker = new EpisodeTracker(options);
  const metrics: Record<string, number> = {};

  const valueOf = (o: ArrayLike<number>): number =>
    noGrad(() => value.forward(new Tensor(Float32Array.from(o), [1, obsDim])).data[0]);

  // The update's activations and gradient buffers go back to the memory pool when it ends.
  const update = (batch: EpisodeBatch, step: number): void =>
    memoryScope(() => {
      const T = batch.steps;
      const obs = new Tensor(Float32Array.from(batch.obs), [T, obsDim]);
      const actions = discrete
        ? new Tensor(Int32Array.from(batch.actions), [T])
        : new Tensor(Float32Array.from(batch.actions), [T, actionDim]);
      const returns = new Tensor(Float32Array.from(batch.returns), [T]);
      const dist = policy.distribution(obs);
      const logProb = dist.logProb(actions);
      const values = hp.baseline ? reshape(value.forward(obs), [T]) : null;
      const adv = new Float32Array(T);
      for (let t = 0; t < T; t++) adv[t] = batch.returns[t] - (values ? values.data[t] : 0);
      if (hp.normalizeAdvantages && T > 1) normalize(adv);
      let loss = logProb
        .mul(new Tensor(adv, [T]))
        .mean()
        .neg();
      metrics.policy_loss = loss.item();
      if (values) {
        const vLoss = mseLoss(values, returns);
        metrics.value_loss = vLoss.item();
        loss = loss.add(vLoss.mul(hp.vfCoef));
      }
      const entropy = dist.entropy().mean();
      metrics.entropy = entropy.item();
      if (hp.entCoef > 0) loss = loss.sub(entropy.mul(hp.entCoef));
      assertFiniteLoss(loss, step);
      optimizer.zeroGrad();
      loss.backward();
      if (hp.maxGradNorm !== null) clipGradNorm(params, hp.maxGradNorm);
      optimizer.step();
    });

  let globalStep = 0;
  let updates = 0;
  let batch = new EpisodeBatch(obsDim, actionDim);
  let episodesInBatch = 0;
  let { observation } = env.reset({ seed: options.seed });
  try {
    while (globalStep < options.totalSteps) {
      const epObs: number[] = [];
      const epActions: number[] = [];
      const epRewards: number[] = [];
      let tail = 0;
      let finished = false;
      while (globalStep < options.totalSteps) {
        const o = flattenObservation(obsSpace, observation);
        const raw = agent.actRaw(o, false, actRng);
        const r = env.step(toEnvAction(actionSpace, raw));
        globalStep += 1;
        for (let i = 0; i < obsDim; i++) epObs.push(o[i]);
        for (let i = 0; i < actionDim; i++) epActions.push(raw.data[i]);
        epRewards.push(r.reward);
        observation = r.observation;
        tracker.progress(globalStep, metrics);
        if (r.terminated || r.truncated) {
          const stats = episodeStats(r.info);
          if (stats) tracker.episode(globalStep, stats.r, stats.l);
          if (r.truncated && !r.terminated && hp.baseline) {
            tail = valueOf(flattenObservation(obsSpace, r.observation));
          }
          observation = env.reset().observation;
          finished = true;
          break;
        }
      }
      // An episode the budget cut short is dropped: its returns would be wrong.
      if (!finished) break;
      batch.addEpisode(epObs, epActions, epRewards, hp.gamma, tail);
      episodesInBatch += 1;
      if (episodesInBatch === hp.episodesPerUpdate) {
        update(batch, updates++);
        batch = new EpisodeBatch(obsDim, actionDim);
        episodesInBatch = 0;
      }
    }
    if (episodesInBatch > 0) update(batch, updates++);
  } finally {
    env.close();
  }
  tracker.progress(globalStep, metrics, true);
  if (options.outDir) await agent.save(options.outDir);
  return { agent, episodes: tracker.episodes, seconds: (performance.now() - started) / 1000 };
}

function normalize(x: FloatArray): void {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) * (x[i] - mean);
  // torch's std() is unbiased; CleanRL adds 1e-8.
  const std = Math.sqrt(v / (x.length - 1));
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - mean) / (std + 1e-8);
}

export async function loadReinforce(dir: string): Promise<ReinforceAgent> {
  const ckpt = await loadAgentCheckpoint(dir, { algo: 'reinforce', schema: reinforceSchema });
  const hp = ckpt.hyperparams;
  const { observationSpace, actionSpace } = ckpt;
  if (!(actionSpace instanceof Discrete) && !(actionSpace instanceof Box)) {
    throw new CheckpointError(
      `${dir}/config.json: field 'actionSpace': REINFORCE needs Discrete or Box, got ${actionSpace.constructor.name}`,
    );
  }
  const net = { hidden: hp.hidden, activation: hp.activation, skipInit: true };
  const policy = makePolicyNetwork(observationSpace, actionSpace, net);
  const value = makeValueNetwork(observationSpace, net);
  restoreNetworks(ckpt, { policy, value });
  return new ReinforceAgent(
    policy,
    value,
    ckpt.config.envId,
    ckpt.config.envOptions,
    observationSpace,
    actionSpace,
    hp,
  );
}

export const reinforceRegistration: AlgorithmRegistration<typeof reinforceSchema> = {
  name: 'reinforce',
  envKind: 'single',
  schema: reinforceSchema,
  train: trainReinforce,
  load: loadReinforce,
};

registerAlgorithm(reinforceRegistration);
