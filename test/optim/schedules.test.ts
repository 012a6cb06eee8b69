import { describe, expect, it } from 'vitest';
import {
  ConstantLR,
  ConstantWithWarmup,
  getConstantSchedule,
  getCosineScheduleWithWarmup,
  getLinearScheduleWithWarmup,
  LambdaLR,
  LinearWarmupCosineDecay,
  LinearWarmupLinearDecay,
  SGD,
  tensor,
  ValueError,
  type LRScheduler,
} from '../../src/index.js';

const opt = (lrs: number[] = [1]): SGD =>
  new SGD(lrs.map((lr) => ({ params: [tensor([0], undefined, { requiresGrad: true })], lr })));

/** Group 0's lr after construction and after each of `steps` scheduler steps. */
function lrs(s: LRScheduler, steps: number): number[] {
  const out = [s.getLastLr()[0]];
  for (let i = 0; i < steps; i++) {
    s.step();
    out.push(s.getLastLr()[0]);
  }
  return out;
}

// Hugging Face transformers' lambdas, written out independently of the implementation.
const hfLinear = (step: number, w: number, t: number): number =>
  step < w ? step / Math.max(1, w) : Math.max(0, (t - step) / Math.max(1, t - w));
const hfCosine = (step: number, w: number, t: number, cycles = 0.5): number => {
  if (step < w) return step / Math.max(1, w);
  const progress = (step - w) / Math.max(1, t - w);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
};

describe('warmup schedules match Hugging Face transformers', () => {
  it('linear warmup then linear decay', () => {
    const got = lrs(
      new LinearWarmupLinearDecay(opt([2]), { warmupSteps: 10, totalSteps: 100 }),
      120,
    );
    expect(got[0]).toBe(0);
    expect(got[5]).toBeCloseTo(1, 15); // 2 * 5/10
    expect(got[10]).toBeCloseTo(2, 15);
    expect(got[55]).toBeCloseTo(1, 15); // 2 * 45/90
    expect(got[100]).toBe(0);
    expect(got[120]).toBe(0);
    got.forEach((lr, step) => expect(lr).toBeCloseTo(2 * hfLinear(step, 10, 100), 14));
  });

  it('linear warmup then half-cosine decay (numCycles 0.5)', () => {
    const got = lrs(getCosineScheduleWithWarmup(opt(), 10, 110), 130);
    expect(got[10]).toBeCloseTo(1, 15);
    expect(got[35]).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 14); // progress 1/4
    expect(got[60]).toBeCloseTo(0.5, 14);
    expect(got[110]).toBeCloseTo(0, 15);
    // past totalSteps HF's cosine rises again (progress 1.2); it is only clamped at 0
    expect(got[130]).toBeCloseTo(0.5 * (1 + Math.cos(1.2 * Math.PI)), 14);
    got.forEach((lr, step) => expect(lr).toBeCloseTo(hfCosine(step, 10, 110), 14));
    const twoCycles = lrs(
      new LinearWarmupCosineDecay(opt(), { warmupSteps: 0, totalSteps: 8, numCycles: 2 }),
      8,
    );
    twoCycles.forEach((lr, step) => expect(lr).toBeCloseTo(hfCosine(step, 0, 8, 2), 14));
  });

  it('no warmup starts at the full rate; factories use HF argument order', () => {
    expect(lrs(getLinearScheduleWithWarmup(opt(), 0, 4), 4)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    expect(lrs(new ConstantWithWarmup(opt(), { warmupSteps: 4 }), 6)).toEqual([
      0, 0.25, 0.5, 0.75, 1, 1, 1,
    ]);
    expect(lrs(getConstantSchedule(opt([0.3])), 3)).toEqual([0.3, 0.3, 0.3, 0.3]);
  });

  it('writes the rate into every param group, scaled from each base rate', () => {
    const o = opt([1, 0.1]);
    const s = new LinearWarmupLinearDecay(o, { warmupSteps: 2, totalSteps: 4 });
    s.step();
    expect(s.getLastLr()).toEqual([0.5, 0.05]);
    expect(o.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.05]);
    expect(s.baseLrs).toEqual([1, 0.1]);
    expect(s.lastEpoch).toBe(1);
  });

  it('rejects bad step counts', () => {
    expect(() => new LinearWarmupLinearDecay(opt(), { warmupSteps: -1, totalSteps: 4 })).toThrow(
      ValueError,
    );
    expect(() => new ConstantWithWarmup(opt(), { warmupSteps: 1.5 })).toThrow(ValueError);
  });
});

describe('torch schedulers', () => {
  it('LambdaLR: one lambda per group', () => {
    const o = opt([1, 2]);
    const s = new LambdaLR(o, [(e) => 0.5 ** e, (e) => e + 1]);
    s.step();
    s.step();
    expect(s.getLastLr()).toEqual([0.25, 6]);
    expect(() => new LambdaLR(o, [(e) => e])).toThrow(/1 lambdas for 2 param groups/);
  });

  it('ConstantLR: factor for totalIters steps, then the base rate', () => {
    expect(lrs(new ConstantLR(opt([0.6]), { factor: 0.5, totalIters: 3 }), 4)).toEqual([
      0.3, 0.3, 0.3, 0.6, 0.6,
    ]);
  });
});
