/*
 * Registers the built-in env families. A family lives in src/rl/envs/<family>/ and registers
 * its ids in its index.ts when imported; import it here so `import 'osmosis'` sees it.
 */
export * from './classic-control/index.js';
export * from './gridworld/index.js';
// The MPE and traffic families (written on this API by the multi-agent envs' owner).
export * from './multi-agent.js';
