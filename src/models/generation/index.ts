export * from './generate.js';
export * from './logits.js';
