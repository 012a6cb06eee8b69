export * from './curves.js';
export * from './stats.js';
export * from './transfer.js';
