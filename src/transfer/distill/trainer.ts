/**
 * "A2T" as our source material describes it: a target agent learns from a pretrained source agent
 * by JOINT optimisation of
 *
 *   L(theta) = L_task(theta)  +  w(t) * L_distill(student_theta(s), teacher(s)),   s ~ buffer
 *
 * with L_task the target's own RL loss (PPO here: clipped surrogate + value + entropy on the
 * target's rollouts), L_distill policy distillation (Rusu et al. 2016: KL from the teacher's
 * temperature-softened policy, or MSE on the outputs) on states the source policy visited, and
 * w(t) a schedule (constant, linear or exponential decay to 0). With w = 0 throughout this is
 * exactly PPO from scratch (same seed, same episodes); with taskLossCoef = 0 it is pure policy
 * distillation, the student acting in the target env only to produce its learning curve.
 *
 * (The literature's A2T, Rajendran et al. 2017, is the attention mixture: ../a2t/attention.ts.)
 *
 * The student is an ordinary PPO agent (saved in the `ppo` checkpoint format, loadable by
 * `osmosis rl eval`). Fixed maps only: a learned map would be trained by the distillation loss to
 * make the teacher agree with the student, which is no correspondence at all.
 */
import { ConfigError, type Generator } from '../../core/index.js';
import type { Categorical } from '../../rl/algos/common/distributions.js';
import { runPpo } from '../../rl/algos/ppo.js';
import { PpoAgent } from '../../rl/algos/ppo/agent.js';
import type { PpoConfig } from '../../rl/algos/ppo/config.js';
import type { Agent, EpisodeRecord, TrainProgress } from '../../rl/algos/types.js';
import type { MappingInput, SpacePair } from '../mapping.js';
import {
  checkLoopConfig,
  envSpacesOf,
  requireDiscreteTarget,
  SourcePolicy,
} from '../a2t/source-policy.js';
import { collectTeacherStates, DistillationBuffer, type StateSource } from './buffer.js';
import { distillationLoss, type DistillationLossKind } from './losses.js';
import { scheduleWeight, type WeightSchedule } from './schedules.js';

/** What the PPO and the DQN students (./dqn-trainer.ts) share. */
export interface DistillCommonOptions {
  envId: string;
  envOptions: Record<string, unknown>;
  seed: number;
  totalSteps: number;
  teacher: Agent;
  teacherName: string;
  /** The teacher's own env (for states: 'source' / 'both'). */
  teacherEnv: { id: string; options: Record<string, unknown> };
  loss: DistillationLossKind;
  temperature: number;
  weight: WeightSchedule;
  states: StateSource;
  bufferSize: number;
  stateMap?: MappingInput;
  actionMap?: MappingInput;
  onEpisode?: (e: EpisodeRecord) => void;
  onProgress?: (p: TrainProgress) => void;
  /** Called once per update with the schedule's weight and the mean distillation loss. */
  onUpdate?: (u: { globalStep: number; weight: number; loss: number }) => void;
}

export interface DistillTrainOptions extends DistillCommonOptions {
  /** The student's PPO config (defaults and tuned values already resolved). */
  cfg: PpoConfig;
  /** Teacher states per minibatch (default: the PPO minibatch size). */
  batchSize?: number;
  /** Weight of the PPO loss (1: joint; 0: pure distillation). */
  taskLossCoef?: number;
}

export interface DistillTrainResult {
  agent: PpoAgent;
  episodes: EpisodeRecord[];
  /** Target env steps spent filling the buffer (the curve starts after them). */
  bufferSteps: number;
  updates: { steps: number[]; weight: number[]; loss: number[] };
}

/** Fixed maps and a discrete target: the checks every student shares; returns the target's spaces. */
export function checkDistillation(method: string, o: DistillCommonOptions): SpacePair {
  for (const [which, m] of [
    ['stateMap', o.stateMap],
    ['actionMap', o.actionMap],
  ] as const) {
    if (m && (m.kind === 'linear' || m.kind === 'mlp')) {
      throw new ConfigError(
        `${method}: ${which} kind '${m.kind}' is learned, and distillation has no signal to train it (it would learn to make the teacher agree with the student); use 'identity', 'pad' or 'permutation', or the attention reading of A2T`,
      );
    }
  }
  const target = envSpacesOf(o.envId, o.envOptions);
  requireDiscreteTarget(method, target);
  const targetSteps =
    o.states === 'target'
      ? o.bufferSize
      : o.states === 'both'
        ? o.bufferSize - Math.floor(o.bufferSize / 2)
        : 0;
  if (targetSteps >= o.totalSteps) {
    throw new ConfigError(
      `${method}: filling the buffer takes ${targetSteps} target steps, the whole budget is ${o.totalSteps}; lower bufferSize or use states: source`,
    );
  }
  return target;
}

/** The frozen teacher read through the maps, and the buffer of its states with its outputs. */
export function teacherBuffer(
  method: string,
  o: DistillCommonOptions,
  target: SpacePair,
  rng: { buffer: Generator; teacher: Generator },
  /** What the student outputs: a DQN's Q-values can only regress (MSE) on Q-values. */
  student: 'logits' | 'q' = 'logits',
): DistillationBuffer {
  const teacher = new SourcePolicy(o.teacher as Agent & Partial<SpacePair>, {
    name: o.teacherName,
    target,
    stateMap: o.stateMap,
    actionMap: o.actionMap,
    temperature: o.temperature,
    rng: rng.teacher,
  });
  if (teacher.outputKind === 'mean') {
    throw new ConfigError(
      `${method}: source '${o.teacherName}' is a Gaussian policy; distillation needs Q-values or logits`,
    );
  }
  if (o.loss === 'mse' && student === 'q' && teacher.outputKind !== 'q') {
    throw new ConfigError(
      `${method}: loss 'mse' regresses the student's Q-values on the teacher's, but source '${o.teacherName}' outputs ${teacher.outputKind}; use loss: kl`,
    );
  }
  return collectTeacherStates({
    teacher,
    target: { id: o.envId, options: o.envOptions },
    source: o.teacherEnv,
    states: o.states,
    size: o.bufferSize,
    temperature: o.temperature,
    rng: rng.buffer,
  });
}

export async function trainDistillation(o: DistillTrainOptions): Promise<DistillTrainResult> {
  const method = 'distill';
  checkLoopConfig(method, o.cfg);
  const target = checkDistillation(method, o);
  const batchSize =
    o.batchSize ?? Math.max(1, Math.ceil((o.cfg.numEnvs * o.cfg.numSteps) / o.cfg.numMinibatches));
  const updates: DistillTrainResult['updates'] = { steps: [], weight: [], loss: [] };
  let weight = 0;
  let buffer: DistillationBuffer | null = null;
  let distillRng: Generator | null = null;

  const run = await runPpo(
    {
      envId: o.envId,
      envOptions: o.envOptions,
      seed: o.seed,
      totalSteps: o.totalSteps,
      hyperparams: { ...o.cfg },
      onEpisode: o.onEpisode,
      onProgress: o.onProgress,
    },
    {
      // The student is PPO's own actor and critic (w = 0 reproduces PPO from scratch).
      setup: ({ rng }) => {
        const bufferRng = rng.spawn();
        distillRng = rng.spawn();
        buffer = teacherBuffer(method, o, target, { buffer: bufferRng, teacher: rng.spawn() });
        return { startStep: buffer.targetSteps };
      },
      taskLossCoef: o.taskLossCoef,
      // w(t) for an update: t is the target env steps taken when its rollout ended.
      afterRollout: ({ globalStep }) =>
        void (weight = scheduleWeight(o.weight, globalStep, o.totalSteps)),
      extraLoss: ({ actor }) => {
        if (weight === 0) return null;
        const { obs: states, teacher: targets } = buffer!.sample(batchSize, distillRng!);
        const logits = (actor.distribution(states) as Categorical).logits;
        const loss = distillationLoss(o.loss, logits, targets, o.temperature);
        return { loss: loss.mul(weight), stats: { distillLoss: loss.item() } };
      },
      afterUpdate: ({ globalStep, stats }) => {
        updates.steps.push(globalStep);
        updates.weight.push(weight);
        updates.loss.push(stats.distillLoss ?? NaN);
        o.onUpdate?.({ globalStep, weight, loss: stats.distillLoss ?? NaN });
      },
    },
  );
  const agent = new PpoAgent(
    o.envId,
    o.envOptions,
    run.observationSpace,
    run.actionSpace,
    run.cfg,
    run.actor,
    run.critic,
    run.obsNormalizer,
    run.valueNormalizer,
    o.seed,
  );
  return { agent, episodes: run.episodes, bufferSteps: buffer!.targetSteps, updates };
}
