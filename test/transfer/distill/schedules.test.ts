import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/core/index.js';
import { scheduleWeight, weightScheduleSchema } from '../../../src/transfer/distill/schedules.js';

describe('distillation weight schedules', () => {
  it('constant', () => {
    const s = weightScheduleSchema.parse({ kind: 'constant', value: 0.3 });
    expect([0, 500, 10_000].map((t) => scheduleWeight(s, t, 1000))).toEqual([0.3, 0.3, 0.3]);
    expect(scheduleWeight(weightScheduleSchema.parse({ kind: 'constant' }), 7, 10)).toBe(1);
  });

  it('linear decay reaches 0 at `steps` (default: the budget) and stays there', () => {
    const s = weightScheduleSchema.parse({ kind: 'linear', initial: 2 });
    expect([0, 250, 500, 1000, 2000].map((t) => scheduleWeight(s, t, 1000))).toEqual([
      2, 1.5, 1, 0, 0,
    ]);
    const short = weightScheduleSchema.parse({ kind: 'linear', initial: 1, steps: 100 });
    expect(scheduleWeight(short, 50, 1000)).toBeCloseTo(0.5);
    expect(scheduleWeight(short, 100, 1000)).toBe(0);
  });

  it('exponential decay halves every halfLife steps towards 0', () => {
    const s = weightScheduleSchema.parse({ kind: 'exponential', initial: 1, halfLife: 100 });
    expect(scheduleWeight(s, 0, 1000)).toBe(1);
    expect(scheduleWeight(s, 100, 1000)).toBeCloseTo(0.5, 12);
    expect(scheduleWeight(s, 300, 1000)).toBeCloseTo(0.125, 12);
    expect(scheduleWeight(s, 1e5, 1000)).toBeLessThan(1e-100);
  });

  it('rejects bad schedules and steps', () => {
    expect(weightScheduleSchema.safeParse({ kind: 'exponential' }).success).toBe(false);
    expect(weightScheduleSchema.safeParse({ kind: 'linear', initial: -1 }).success).toBe(false);
    expect(weightScheduleSchema.safeParse({ kind: 'cosine' }).success).toBe(false);
    expect(weightScheduleSchema.safeParse({ kind: 'constant', extra: 1 }).success).toBe(false);
    expect(() => scheduleWeight({ kind: 'constant', value: 1 }, -1, 10)).toThrow(ValueError);
  });
});
