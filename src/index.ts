export * from './core/index.js';
export * from './nn/index.js';
export * from './optim/index.js';
export * from './mas/index.js';
export * as rl from './rl/index.js';
export * from './text/index.js';
export * from './data/index.js';
export * from './models/index.js';
export * from './peft/index.js';
