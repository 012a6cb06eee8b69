/**
 * The weight of the distillation term over training, w(t) with t the target env steps taken:
 *   constant     w = value
 *   linear       w = initial * max(0, 1 - t / steps)              (0 from `steps` on; default: the budget)
 *   exponential  w = initial * 2^(-t / halfLife)                  (-> 0, halved every halfLife steps)
 * Decaying the weight hands the student over from imitating the teacher to its own task loss, so
 * a teacher that is only partly right for the target cannot cap the student's final performance.
 */
import { z } from 'zod';
// Light imports only: experiment configs validate against this schema before any training code loads.
import { ValueError } from '../../core/errors.js';

export const weightScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), value: z.number().nonnegative().default(1) }).strict(),
  z
    .object({
      kind: z.literal('linear'),
      initial: z.number().nonnegative().default(1),
      /** Steps to reach 0; default: the method's whole budget. */
      steps: z.number().int().positive().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('exponential'),
      initial: z.number().nonnegative().default(1),
      halfLife: z.number().positive(),
    })
    .strict(),
]);
export type WeightSchedule = z.infer<typeof weightScheduleSchema>;

/** w(step) for a run of `totalSteps` steps. */
export function scheduleWeight(schedule: WeightSchedule, step: number, totalSteps: number): number {
  if (!(step >= 0)) throw new ValueError(`scheduleWeight: step must be >= 0, got ${step}`);
  switch (schedule.kind) {
    case 'constant':
      return schedule.value;
    case 'linear': {
      const steps = schedule.steps ?? totalSteps;
      if (!(steps > 0)) throw new ValueError(`scheduleWeight: linear decay over ${steps} steps`);
      return schedule.initial * Math.max(0, 1 - step / steps);
    }
    case 'exponential':
      return schedule.initial * Math.pow(2, -step / schedule.halfLife);
  }
}
