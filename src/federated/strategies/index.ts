export * from './types.js';
export { partitionResults, weightedMeanAggregate } from './validate.js';
export { fedAvg, fedAvgAggregate } from './fedavg.js';
export { fedProx, fedProxAggregate } from './fedprox.js';
export { multiTask, multiTaskAggregate } from './multitask.js';
export { localOnly, localOnlyAggregate } from './local.js';
export * from './registry.js';
