export * from './core/index.js';
export * from './mas/index.js';
