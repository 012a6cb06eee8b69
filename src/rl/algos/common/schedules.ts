import { ValueError } from '../../../core/index.js';

/**
 * CleanRL's linear_schedule: from `start` to `end` over `duration` steps, then `end`.
 * DQN's epsilon is linearSchedule(1, 0.05, explorationFraction * totalSteps, globalStep).
 */
export function linearSchedule(start: number, end: number, duration: number, t: number): number {
  if (!(duration >= 0))
    throw new ValueError(`linearSchedule: duration must be >= 0, got ${duration}`);
  if (t >= duration) return end;
  return start + ((end - start) * Math.max(0, t)) / duration;
}

/**
 * Linear annealing of a learning rate over `numUpdates` updates, as CleanRL's PPO
 * (`frac = 1 - (update - 1) / numUpdates`, update counted from 1): lr at update 1 is `initial`,
 * and it falls to initial / numUpdates at the last one.
 */
export function annealedLr(initial: number, update: number, numUpdates: number): number {
  if (!(numUpdates >= 1)) {
    throw new ValueError(`annealedLr: numUpdates must be >= 1, got ${numUpdates}`);
  }
  const frac = 1 - (update - 1) / numUpdates;
  return Math.max(0, frac) * initial;
}

/** SB3's "progress remaining" linear schedule: value(1 - t / total) from `initial` to `final`. */
export function linearDecay(initial: number, final: number, t: number, total: number): number {
  if (!(total > 0)) throw new ValueError(`linearDecay: total must be > 0, got ${total}`);
  const frac = Math.min(1, Math.max(0, t / total));
  return initial + (final - initial) * frac;
}
