export * from './losses.js';
export * from './schedules.js';
export * from './buffer.js';
export * from './trainer.js';
