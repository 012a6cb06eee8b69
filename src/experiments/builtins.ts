/**
 * Registers the built-in method kinds. Worker threads import this module too, so every job sees
 * the same kinds as the process that validated the config. (The RL env families and algorithms
 * load on demand: rl-registries.ts.)
 */
import './methods/scratch.js';
import './methods/meta-federated.js';
import './methods/transfer.js';
