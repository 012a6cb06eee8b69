/**
 * The Multi-Agent Particle Environments. Importing this module registers, as parallel envs,
 * SimpleSpread-v3, SimpleTag-v3 and SimpleSpeakerListener-v4, and their AEC forms
 * (PettingZoo's `env()`, through `parallelToAec`) as SimpleSpreadAEC-v3, SimpleTagAEC-v3 and
 * SimpleSpeakerListenerAEC-v4. Episodes truncate inside the env after `maxCycles` (default 25).
 */
import { parallelToAec } from '../../conversions.js';
import { isRegistered, register } from '../../registry.js';
import {
  SimpleSpeakerListenerEnv,
  SimpleSpreadEnv,
  SimpleTagEnv,
  simpleSpeakerListenerSchema,
  simpleSpreadSchema,
  simpleTagSchema,
  type SimpleSpeakerListenerOptions,
  type SimpleSpreadOptions,
  type SimpleTagOptions,
} from './envs.js';

export * from './core.js';
export * from './scenarios.js';
export * from './simple-env.js';
export * from './envs.js';
export { benchSimpleSpread } from './bench.js';

const MPE_ENVS = [
  {
    id: 'SimpleSpread-v3',
    aecId: 'SimpleSpreadAEC-v3',
    schema: simpleSpreadSchema,
    create: (o: SimpleSpreadOptions) => new SimpleSpreadEnv(o),
    description: 'MPE simple_spread: N agents cover N landmarks and avoid collisions.',
  },
  {
    id: 'SimpleTag-v3',
    aecId: 'SimpleTagAEC-v3',
    schema: simpleTagSchema,
    create: (o: SimpleTagOptions) => new SimpleTagEnv(o),
    description: 'MPE simple_tag: predator-prey among obstacles.',
  },
  {
    id: 'SimpleSpeakerListener-v4',
    aecId: 'SimpleSpeakerListenerAEC-v4',
    schema: simpleSpeakerListenerSchema,
    create: (o: SimpleSpeakerListenerOptions) => new SimpleSpeakerListenerEnv(o),
    description: 'MPE simple_speaker_listener: a speaker guides a listener to a goal landmark.',
  },
] as const;

/** Registers the MPE ids; importing this module already does, a second call is a no-op. */
export function registerMpeEnvs(): void {
  for (const e of MPE_ENVS) {
    const create = e.create as (o: Record<string, unknown>) => SimpleSpreadEnv;
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

registerMpeEnvs();
