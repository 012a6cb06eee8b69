export * from './config.js';
export * from './model.js';
export * from './question-answering.js';
