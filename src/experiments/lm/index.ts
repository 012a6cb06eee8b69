/** Language-model transfer experiments (`osmosis lm`): cross-lingual (MAD-X included) and cross-task. */
export * from './schema.js';
export * from './data.js';
export { TOPICAL_SECTIONS, debianCorpus, parsePackages } from './debian.js';
export * from './jobs.js';
export * from './report.js';
export * from './runner.js';
export { lmResultPath } from './job-loop.js';
export { BOOK_GROUPS, bookGroup } from './bible.js';
export { madxModel, ZeroShotStack, type LanguageAdapterSet } from './madx.js';
