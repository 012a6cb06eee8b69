/**
 * The MPE environments with their option schemas: SimpleSpread-v3, SimpleTag-v3 and
 * SimpleSpeakerListener-v4 (PettingZoo's simple_spread_v3, simple_tag_v3,
 * simple_speaker_listener_v4). Options mirror PettingZoo's keyword arguments in camelCase
 * (`N` becomes `numAgents`/`numLandmarks`).
 */
import { z } from 'zod';
import { ConfigError } from '../../../core/errors.js';
import { MpeParallelEnv } from './simple-env.js';
import {
  SimpleSpeakerListenerScenario,
  SimpleSpreadScenario,
  SimpleTagScenario,
} from './scenarios.js';

const common = {
  maxCycles: z.number().int().positive().default(25),
  continuousActions: z.boolean().default(false),
};

export const simpleSpreadSchema = z
  .object({
    numAgents: z.number().int().min(1).max(64).default(3),
    /** Defaults to numAgents, as PettingZoo's single N. */
    numLandmarks: z.number().int().min(1).max(64).optional(),
    localRatio: z.number().min(0).max(1).default(0.5),
    /** Distance from each landmark to the point that is rewarded (0: PettingZoo's task). */
    goalOffset: z.number().min(0).max(10).default(0),
    /** Direction of that point from its landmark, radians counter-clockwise from +x. */
    goalAngle: z.number().finite().default(0),
    ...common,
  })
  .strict();
export type SimpleSpreadOptions = z.input<typeof simpleSpreadSchema>;

export const simpleTagSchema = z
  .object({
    numGood: z.number().int().min(1).max(64).default(1),
    numAdversaries: z.number().int().min(1).max(64).default(3),
    numObstacles: z.number().int().min(0).max(64).default(2),
    ...common,
  })
  .strict();
export type SimpleTagOptions = z.input<typeof simpleTagSchema>;

export const simpleSpeakerListenerSchema = z.object({ ...common }).strict();
export type SimpleSpeakerListenerOptions = z.input<typeof simpleSpeakerListenerSchema>;

function parse<S extends z.ZodTypeAny>(schema: S, env: string, options: unknown): z.output<S> {
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    throw new ConfigError(`${env}: invalid options: ${r.error.message}`, { cause: r.error });
  }
  return r.data;
}

/**
 * N agents cover N landmarks while avoiding each other (cooperative).
 *
 * `goalOffset` > 0 makes the cooperative-navigation analogue of MAML's 2D navigation with a
 * hidden goal: the team is rewarded for covering the points at `goalOffset` in direction
 * `goalAngle` from the landmarks, while observations still show the landmarks themselves (as a
 * map that is off by a fixed, unknown displacement). The offset is a property of the task, the
 * same in every episode, and can only be found from the reward. Everything else is unchanged.
 */
export class SimpleSpreadEnv extends MpeParallelEnv {
  constructor(options: SimpleSpreadOptions = {}) {
    const o = parse(simpleSpreadSchema, 'SimpleSpread-v3', options);
    const scenario = new SimpleSpreadScenario({
      numAgents: o.numAgents,
      numLandmarks: o.numLandmarks ?? o.numAgents,
      goalOffset: [o.goalOffset * Math.cos(o.goalAngle), o.goalOffset * Math.sin(o.goalAngle)],
    });
    super(
      scenario,
      { maxCycles: o.maxCycles, continuousActions: o.continuousActions, localRatio: o.localRatio },
      'simple_spread_v3',
    );
  }
}

/** Predator-prey: adversaries chase good agents among obstacles. */
export class SimpleTagEnv extends MpeParallelEnv {
  constructor(options: SimpleTagOptions = {}) {
    const o = parse(simpleTagSchema, 'SimpleTag-v3', options);
    const scenario = new SimpleTagScenario({
      numGood: o.numGood,
      numAdversaries: o.numAdversaries,
      numObstacles: o.numObstacles,
    });
    super(
      scenario,
      { maxCycles: o.maxCycles, continuousActions: o.continuousActions, localRatio: null },
      'simple_tag_v3',
    );
  }
}

/** A speaker who sees the goal and a listener who moves, linked by a 3-symbol channel. */
export class SimpleSpeakerListenerEnv extends MpeParallelEnv {
  constructor(options: SimpleSpeakerListenerOptions = {}) {
    const o = parse(simpleSpeakerListenerSchema, 'SimpleSpeakerListener-v4', options);
    super(
      new SimpleSpeakerListenerScenario(),
      { maxCycles: o.maxCycles, continuousActions: o.continuousActions, localRatio: null },
      'simple_speaker_listener_v4',
    );
  }
}
