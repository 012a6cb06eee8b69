/**
 * The multi-agent env families: importing this module registers the MPE ids (SimpleSpread-v3,
 * SimpleTag-v3, SimpleSpeakerListener-v4 and their AEC forms) and the traffic ids
 * (TrafficIntersection-v0, HighwayMerge-v0 and their AEC forms).
 */
import { registerMpeEnvs } from './mpe/index.js';
import { registerTrafficEnvs } from './traffic/index.js';

export * as mpe from './mpe/index.js';
export * as traffic from './traffic/index.js';

/** Registers every multi-agent id; idempotent (importing this module already does). */
export function registerMultiAgentEnvs(): void {
  registerMpeEnvs();
  registerTrafficEnvs();
}

registerMultiAgentEnvs();
