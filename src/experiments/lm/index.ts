/** Language-model transfer experiments (`osmosis lm`): cross-lingual and cross-task. */
export * from './schema.js';
export * from './data.js';
export { TOPICAL_SECTIONS, debianCorpus, parsePackages } from './debian.js';
export * from './jobs.js';
export * from './report.js';
export * from './runner.js';
