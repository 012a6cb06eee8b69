/**
 * Multi-vehicle traffic envs for the driving application. Importing this module registers the
 * parallel envs TrafficIntersection-v0 and HighwayMerge-v0 and their AEC forms
 * (TrafficIntersectionAEC-v0, HighwayMergeAEC-v0). Episodes truncate inside the env after
 * `maxSteps` steps.
 */
import { parallelToAec } from '../../conversions.js';
import { isRegistered, register } from '../../registry.js';
import {
  HighwayMergeEnv,
  TrafficIntersectionEnv,
  highwayMergeSchema,
  trafficIntersectionSchema,
  type HighwayMergeOptions,
  type TrafficIntersectionOptions,
} from './envs.js';
import type { TrafficEnv } from './traffic-env.js';

export * from './geometry.js';
export * from './vehicle.js';
export * from './world.js';
export * from './intersection.js';
export * from './merge.js';
export * from './traffic-env.js';
export * from './envs.js';

const TRAFFIC_ENVS = [
  {
    id: 'TrafficIntersection-v0',
    aecId: 'TrafficIntersectionAEC-v0',
    schema: trafficIntersectionSchema,
    create: (o: TrafficIntersectionOptions) => new TrafficIntersectionEnv(o),
    description: 'Agents cross an unsignalised 4-way intersection among IDM background traffic.',
  },
  {
    id: 'HighwayMerge-v0',
    aecId: 'HighwayMergeAEC-v0',
    schema: highwayMergeSchema,
    create: (o: HighwayMergeOptions) => new HighwayMergeEnv(o),
    description: 'Agents on a highway and its on-ramp merge among IDM background traffic.',
  },
] as const;

/** Registers the traffic ids; importing this module already does, a second call is a no-op. */
export function registerTrafficEnvs(): void {
  for (const e of TRAFFIC_ENVS) {
    const create = e.create as (o: Record<string, unknown>) => TrafficEnv;
    if (!isRegistered(e.id)) {
      register({
        id: e.id,
        kind: 'parallel',
        optionsSchema: e.schema as never,
        entryPoint: create,
        description: e.description,
      });
    }
    if (!isRegistered(e.aecId)) {
      register({
        id: e.aecId,
        kind: 'aec',
        optionsSchema: e.schema as never,
        entryPoint: (o) => parallelToAec(create(o)),
        description: `${e.description} (AEC form)`,
      });
    }
  }
}

registerTrafficEnvs();
