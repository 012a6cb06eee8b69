export { ReplayBuffer, type ReplayBatch, type ReplayBufferOptions } from './replay.js';
