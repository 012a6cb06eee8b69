export * from './params.js';
export * from './meta.js';
export * from './families.js';
export * from './baseline.js';
export * from './features.js';
export * from './rollout.js';
export * from './pg.js';
export * from './trainer.js';
