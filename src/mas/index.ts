/** The multi-agent runtime: scheduler, FIPA-ACL messaging, interaction protocols, sweeps. */
export * from './errors.js';
export type { Json } from './json.js';
export * from './scheduler.js';
export * from './snapshot.js';
export * from './acl.js';
export * from './bus.js';
export * from './protocols/common.js';
export * from './protocols/request.js';
export * from './protocols/contract-net.js';
export * from './sweep.js';
export { csvField, toCsv, type Cell } from './csv.js';
