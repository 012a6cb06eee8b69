/**
 * MAMT on RL task families: meta-train a policy initialisation over tasks drawn from a family
 * (CartPole physics, cooperative navigation with varying agent/landmark counts or a hidden goal
 * direction), then adapt it on the held-out target task in K inner steps and record the return
 * after each step.
 *
 * Every initialisation under comparison goes through the same adaptation: K plain gradient steps
 * of the policy-gradient loss (pg.ts), each on E fresh episodes; only ANIL restricts them to the
 * head, as its inner loop does. `none` is the random initialisation (scratch), `joint` the
 * multi-task one. Meta-training stops when the env-step budget (`totalSteps`) is spent, so the
 * pre-training methods see the same amount of experience.
 */
import { z } from 'zod';
import { ConfigError, Generator, ValueError } from '../../core/index.js';
import { CategoricalPolicy, type PolicyNetwork } from '../../rl/algos/common/index.js';
import type { EpisodeRecord, TrainProgress } from '../../rl/algos/types.js';
import { makeAny } from '../../rl/registry.js';
import { flatdim } from '../../rl/spaces/index.js';
import { familyMax, familySchema, sampleTask, type TaskFamily } from './families.js';
import { PaddedIdFeaturizer, SpreadFeaturizer, type Featurizer } from './features.js';
import { MetaParams, metaGradient, type MetaAlgorithm } from './meta.js';
import { headMask, readParams } from './params.js';
import { RlTask, type StepCounter } from './pg.js';
import { ParallelTaskEnvs, SingleTaskEnvs, type TaskEnvs } from './rollout.js';

const int = z.number().int();

/** The method's own fields (a `methods[]` entry of kind 'mamt'). */
export const mamtSchema = z
  .object({
    /** How the initialisation is made: a meta-learner, multi-task training, or none (scratch). */
    meta: z.enum(['fomaml', 'reptile', 'anil', 'joint', 'none']),
    family: familySchema,
    /** The inner loop, used both in meta-training and when adapting to the target. */
    inner: z
      .object({
        /** K: gradient steps of adaptation on the target (and in meta-training by default). */
        steps: int.min(0).default(1),
        lr: z.number().positive().default(0.1),
        /** Episodes per inner step (one batch). */
        episodes: int.positive().default(10),
      })
      .strict()
      .prefault({}),
    outer: z
      .object({
        /** Tasks per meta-update. */
        metaBatch: int.positive().default(8),
        optimizer: z.enum(['adam', 'sgd']).default('adam'),
        lr: z.number().positive().default(0.003),
        /** Inner steps during meta-training (default inner.steps; Reptile wants >= 2). */
        innerSteps: int.min(0).optional(),
      })
      .strict()
      .prefault({}),
    adaptation: z
      .object({
        /** Independent adaptation runs on the target, averaged (less noisy curves). */
        trials: int.positive().default(3),
        /** Inner lr at adaptation time (default inner.lr). */
        lr: z.number().positive().optional(),
      })
      .strict()
      .prefault({}),
    policy: z
      .object({
        hidden: z.array(int.positive()).min(1).default([32, 32]),
        activation: z.enum(['relu', 'tanh']).default('tanh'),
      })
      .strict()
      .prefault({}),
    gamma: z.number().min(0).max(1).default(0.99),
    entCoef: z.number().min(0).default(0),
    /** Episode length cap (overrides the env's TimeLimit; single-agent envs only). */
    horizon: int.positive().nullable().default(null),
  })
  .strict();
export type MamtConfig = z.infer<typeof mamtSchema>;

/** How to build envs and the policy for one env id and family. */
export interface RlProblem {
  inputDim: number;
  actions: number;
  makeEnvs(options: Record<string, unknown>, count: number): TaskEnvs;
  makePolicy(rng: Generator): PolicyNetwork;
}

export function buildProblem(
  envId: string,
  target: Record<string, unknown>,
  family: TaskFamily,
  config: Pick<MamtConfig, 'policy' | 'horizon'>,
): RlProblem {
  const made = makeAny(envId, target);
  let featurizer: (options: Record<string, unknown>) => Featurizer | null;
  try {
    if (made.kind === 'single') {
      featurizer = () => null;
    } else if (made.kind === 'parallel') {
      if (/^SimpleSpread(AEC)?-v\d+$/.test(envId)) {
        const nMax = familyMax(family, 'numAgents', { numAgents: 3, ...target });
        const lMax = Math.max(
          nMax,
          family.vary.numLandmarks !== undefined || target.numLandmarks !== undefined
            ? familyMax(family, 'numLandmarks', { numLandmarks: nMax, ...target })
            : nMax,
        );
        featurizer = (o) => {
          const n = (o.numAgents as number | undefined) ?? 3;
          return new SpreadFeaturizer(n, (o.numLandmarks as number | undefined) ?? n, nMax, lMax);
        };
      } else {
        const env = made.env;
        const pad = Math.max(...env.possibleAgents.map((a) => flatdim(env.observationSpace(a))));
        const spaces = (a: string) => env.observationSpace(a);
        const fz = new PaddedIdFeaturizer(spaces, pad, env.possibleAgents.length);
        featurizer = () => fz;
      }
    } else {
      throw new ConfigError(`mamt: '${envId}' is an AEC env; use its parallel form`);
    }
  } finally {
    if (made.kind === 'single' || made.kind === 'parallel') made.env.close();
  }
  const makeEnvs = (options: Record<string, unknown>, count: number): TaskEnvs => {
    const fz = featurizer(options);
    return fz === null
      ? new SingleTaskEnvs(envId, options, count, config.horizon)
      : new ParallelTaskEnvs(envId, options, count, fz);
  };
  const probe = makeEnvs(target, 1);
  const { inputDim, actions } = probe;
  probe.close();
  return {
    inputDim,
    actions,
    makeEnvs,
    makePolicy: (rng) =>
      new CategoricalPolicy(inputDim, actions, {
        hidden: config.policy.hidden,
        activation: config.policy.activation,
        orthogonal: true,
        // A near-uniform initial policy, as CleanRL's actor heads: every method starts unbiased.
        outputGain: 0.01,
        rng,
      }),
  };
}

export interface MetaIteration {
  iteration: number;
  envSteps: number;
  /** Mean return before adapting (the first support batch) and after (the query batch). */
  before: number;
  after: number;
}

export interface RunMamtOptions {
  envId: string;
  /** The held-out target task's env options. */
  target: Record<string, unknown>;
  config: MamtConfig;
  seed: number;
  /** Meta-training budget in env steps (ignored by 'none'). */
  totalSteps: number;
  onProgress?: (p: TrainProgress) => void;
  onIteration?: (it: MetaIteration) => void;
}

export interface MamtResult {
  /** The initialisation the target was adapted from. */
  init: Float64Array;
  history: MetaIteration[];
  metaEnvSteps: number;
  /** Target episodes by adaptation step k (globalStep = k). */
  episodes: EpisodeRecord[];
  /** Mean target return after k steps, k = 0..K, averaged over trials. */
  returnsByStep: number[];
  policy: PolicyNetwork;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function runMamt(options: RunMamtOptions): MamtResult {
  const { config, envId, target, seed } = options;
  if (!Number.isSafeInteger(seed))
    throw new ValueError(`mamt: seed must be a safe integer, got ${seed}`);
  const problem = buildProblem(envId, target, config.family, config);
  // Fixed spawn order: every method gets the same initial weights and the same target-adaptation
  // stream for a seed (common random numbers), whatever its meta-training consumed.
  const root = new Generator(seed);
  const policy = problem.makePolicy(root.spawn());
  const taskRng = root.spawn();
  const rolloutRng = root.spawn();
  const adaptRng = root.spawn();
  const mask = headMask(policy);
  const pg = { gamma: config.gamma, entCoef: config.entCoef };
  const meta = new MetaParams(readParams(policy), {
    optimizer: config.outer.optimizer,
    lr: config.outer.lr,
  });
  const counter: StepCounter = { envSteps: 0 };
  const history: MetaIteration[] = [];
  const innerSteps = config.outer.innerSteps ?? config.inner.steps;

  if (config.meta !== 'none') {
    const algorithm: MetaAlgorithm = config.meta;
    if (algorithm === 'reptile' && innerSteps < 1) {
      throw new ConfigError(
        'mamt: reptile needs outer.innerSteps >= 1 (>= 2 to differ from joint)',
      );
    }
    for (let it = 0; counter.envSteps < options.totalSteps; it++) {
      const tasks = Array.from({ length: config.outer.metaBatch }, () => {
        const o = sampleTask(config.family, target, taskRng, target);
        return new RlTask(
          policy,
          problem.makeEnvs(o, config.inner.episodes),
          rolloutRng,
          pg,
          counter,
        );
      });
      try {
        const g = metaGradient(algorithm, meta.values, tasks, {
          steps: innerSteps,
          lr: config.inner.lr,
          mask,
        });
        meta.step(g.grad);
        const rec: MetaIteration = {
          iteration: it,
          envSteps: counter.envSteps,
          before: mean(g.before.map((r) => r.info?.meanReturn ?? NaN)),
          after: mean(g.after.map((r) => r.info?.meanReturn ?? NaN)),
        };
        history.push(rec);
        options.onIteration?.(rec);
        options.onProgress?.({
          globalStep: counter.envSteps,
          totalSteps: options.totalSteps,
          episodicReturn: rec.after,
          metrics: { before: rec.before, after: rec.after },
        });
      } finally {
        for (const t of tasks) t.close();
      }
    }
  }

  const init = Float64Array.from(meta.values);
  const adaptLr = config.adaptation.lr ?? config.inner.lr;
  const K = config.inner.steps;
  const episodes: EpisodeRecord[] = [];
  const byStep: number[][] = Array.from({ length: K + 1 }, () => []);
  for (let trial = 0; trial < config.adaptation.trials; trial++) {
    const rng = adaptRng.spawn();
    const task = new RlTask(policy, problem.makeEnvs(target, config.inner.episodes), rng, pg, {
      envSteps: 0,
    });
    try {
      const theta = Float64Array.from(init);
      for (let k = 0; k <= K; k++) {
        const r = task.support(theta);
        for (const e of task.lastBatch!.episodes) {
          episodes.push({ globalStep: k, episodicReturn: e.return, episodicLength: e.length });
          byStep[k].push(e.return);
        }
        if (k === K) break;
        const head = config.meta === 'anil' ? mask : null;
        for (let j = 0; j < theta.length; j++)
          if (!head || head[j]) theta[j] -= adaptLr * r.grad[j];
      }
    } finally {
      task.close();
    }
  }
  // Records in step order (trials interleaved), as a learning curve expects.
  episodes.sort((a, b) => a.globalStep - b.globalStep);
  return {
    init,
    history,
    metaEnvSteps: counter.envSteps,
    episodes,
    returnsByStep: byStep.map(mean),
    policy,
  };
}
