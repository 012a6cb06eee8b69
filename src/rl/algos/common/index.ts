export * from './distributions.js';
export * from './networks.js';
export * from './schedules.js';
export * from './evaluate.js';
export * from './checkpoint.js';
export * from './training.js';
export * from './eval-callback.js';
