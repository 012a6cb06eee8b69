export * from './errors.js';
export * from './params.js';
export * from './weights.js';
export * from './client.js';
export * from './strategies/index.js';
export * from './simulation.js';
export * from './clients/synthetic.js';
export * from './clients/classification.js';
