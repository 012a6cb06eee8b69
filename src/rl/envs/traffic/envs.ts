/**
 * TrafficIntersection-v0 and HighwayMerge-v0: the traffic ParallelEnvs with their option
 * schemas. The model, units, observation and reward are documented in traffic-env.ts; the road
 * geometry and background-traffic rules in intersection.ts and merge.ts.
 */
import { z } from 'zod';
import type { Generator } from '../../../core/rng.js';
import { IntersectionLayout, TURNS, type Turn } from './intersection.js';
import { MERGE_START, MergeLayout } from './merge.js';
import { TrafficEnv, parseOptions, trafficCommonShape } from './traffic-env.js';
import type { Vehicle } from './vehicle.js';
import type { TrafficWorld } from './world.js';

const speedRange = z
  .tuple([z.number().positive(), z.number().positive()])
  .refine(([lo, hi]) => lo <= hi, 'speed range must be [low, high] with low <= high');

export const trafficIntersectionSchema = z
  .object({
    /** One agent per arm at most. */
    numAgents: z.number().int().min(1).max(4).default(2),
    maxSteps: z.number().int().positive().default(200),
    /** Fixed turn for every agent, or 'random' to draw one per agent at reset. */
    agentTurn: z.enum(['random', ...TURNS]).default('random'),
    spawnProbability: z.number().min(0).max(1).default(0.02),
    initialVehicles: z.number().int().min(0).max(40).default(6),
    maxVehicles: z.number().int().min(0).max(60).default(16),
    backgroundSpeedRange: speedRange.default([7, 10]),
    ...trafficCommonShape,
  })
  .strict();
export type TrafficIntersectionOptions = z.input<typeof trafficIntersectionSchema>;

/** Agents cross an unsignalised 4-way intersection among yielding IDM traffic. */
export class TrafficIntersectionEnv extends TrafficEnv {
  declare readonly layout: IntersectionLayout;
  private readonly agentTurn: 'random' | Turn;

  constructor(options: TrafficIntersectionOptions = {}) {
    const o = parseOptions(trafficIntersectionSchema, 'TrafficIntersection-v0', options);
    const layout = new IntersectionLayout({
      spawnProbability: o.spawnProbability,
      initialVehicles: o.initialVehicles,
      maxVehicles: o.maxVehicles,
      speedRange: o.backgroundSpeedRange,
    });
    super(layout, { ...o, targetSpeeds: [0, 5, 10] }, 'traffic_intersection_v0');
    this.agentTurn = o.agentTurn;
  }

  /** Agents on distinct random arms, 30-45 m before the stop line, at 5 m/s. */
  protected placeAgents(world: TrafficWorld, rng: Generator): Vehicle[] {
    const arms = rng.permutation(4);
    return this.possibleAgents.map((_, i) => {
      const turn = this.agentTurn === 'random' ? TURNS[rng.int(3)] : this.agentTurn;
      const route = this.layout.route(arms[i], turn);
      const s = route.boxEntryS - rng.uniformRange(30, 45);
      return this.layout.addVehicle(world, route, s, 5, true);
    });
  }
}

export const highwayMergeSchema = z
  .object({
    numAgents: z.number().int().min(1).max(6).default(2),
    maxSteps: z.number().int().positive().default(300),
    lanes: z.number().int().min(1).max(4).default(2),
    spawnProbability: z.number().min(0).max(1).default(0.05),
    rampSpawnProbability: z.number().min(0).max(1).default(0.02),
    maxVehicles: z.number().int().min(0).max(80).default(30),
    backgroundSpeedRange: speedRange.default([20, 26]),
    rampSpeedRange: speedRange.default([17, 22]),
    ...trafficCommonShape,
  })
  .strict();
export type HighwayMergeOptions = z.input<typeof highwayMergeSchema>;

/** Agents on a highway and its on-ramp must merge among IDM traffic. */
export class HighwayMergeEnv extends TrafficEnv {
  declare readonly layout: MergeLayout;

  constructor(options: HighwayMergeOptions = {}) {
    const o = parseOptions(highwayMergeSchema, 'HighwayMerge-v0', options);
    const layout = new MergeLayout({
      lanes: o.lanes,
      spawnProbability: o.spawnProbability,
      rampSpawnProbability: o.rampSpawnProbability,
      maxVehicles: o.maxVehicles,
      speedRange: o.backgroundSpeedRange,
      rampSpeedRange: o.rampSpeedRange,
    });
    super(layout, { ...o, targetSpeeds: [20, 25, 30] }, 'highway_merge_v0');
  }

  /**
   * Even-numbered agents start on the ramp (20 m/s), odd-numbered ones in the rightmost main lane
   * (25 m/s) level with the ramp, 30 m apart within each group with a little random jitter.
   */
  protected placeAgents(world: TrafficWorld, rng: Generator): Vehicle[] {
    const layout = this.layout;
    return this.possibleAgents.map((_, i) => {
      const k = Math.floor(i / 2);
      const jitter = rng.uniformRange(0, 8);
      if (i % 2 === 0) {
        return layout.addVehicle(world, layout.rampIndex, 60 - 30 * k + jitter, 20, true);
      }
      const x = MERGE_START - 60 - 30 * k + jitter;
      return layout.addVehicle(world, layout.config.lanes - 1, x, 25, true);
    });
  }
}
