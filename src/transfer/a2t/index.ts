/*
 * A2T in both readings (see docs/transfer.md):
 * - the paper's (Rajendran et al. 2017): attention over frozen sources and a base (this folder),
 *   for policies (PPO learner: attention.ts, trainer.ts) and values (DQN learner: value*.ts);
 * - our source material's: joint distillation + task loss (../distill/, re-exported here).
 */
export * from './config.js';
export * from './source-policy.js';
export * from './sources.js';
export * from './attention.js';
export * from './agent.js';
export * from './trainer.js';
export * from './value.js';
export * from './value-agent.js';
export * from './value-trainer.js';
export * from '../mapping.js';
export * from '../distill/index.js';
