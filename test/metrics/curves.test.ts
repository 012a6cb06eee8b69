import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/core/errors.js';
import {
  commonGrid,
  ema,
  episodesToCurve,
  interpolate,
  linspace,
  movingAverage,
  resample,
  timeToThreshold,
  trapezoid,
} from '../../src/metrics/curves.js';

describe('curves', () => {
  it('episodes -> curve: sorted, same-step episodes averaged, agent filter', () => {
    const c = episodesToCurve([
      { globalStep: 20, episodicReturn: 4, episodicLength: 10 },
      { globalStep: 10, episodicReturn: 1, episodicLength: 10 },
      { globalStep: 20, episodicReturn: 6, episodicLength: 10 },
    ]);
    expect(c).toEqual({ steps: [10, 20], values: [1, 5] });
    const m = episodesToCurve(
      [
        { globalStep: 5, episodicReturn: 1, episodicLength: 5, agent: 'a' },
        { globalStep: 5, episodicReturn: 3, episodicLength: 5, agent: 'b' },
      ],
      { agent: 'b' },
    );
    expect(m).toEqual({ steps: [5], values: [3] });
  });

  it('moving average and EMA by hand', () => {
    const c = { steps: [1, 2, 3, 4], values: [2, 4, 6, 8] };
    expect(movingAverage(c, 2).values).toEqual([2, 3, 5, 7]);
    expect(movingAverage(c, 3).values).toEqual([2, 3, 4, 6]);
    expect(ema(c, 0.5).values).toEqual([2, 3, 4.5, 6.25]);
    expect(() => movingAverage(c, 0)).toThrow(ValueError);
  });

  it('linear interpolation, held flat outside the data', () => {
    const c = { steps: [0, 10, 30], values: [0, 10, 0] };
    expect(interpolate(c, 5)).toBe(5);
    expect(interpolate(c, 20)).toBe(5);
    expect(interpolate(c, -5)).toBe(0);
    expect(interpolate(c, 99)).toBe(0);
    expect(resample(c, [0, 15, 30]).values).toEqual([0, 7.5, 0]);
  });

  it('trapezoid area', () => {
    expect(trapezoid({ steps: [0, 50, 100], values: [0, 5, 10] })).toBe(500);
    expect(trapezoid({ steps: [0, 2], values: [1, 3] })).toBe(4);
  });

  it('time to threshold interpolates the crossing; never reached is null', () => {
    const c = { steps: [0, 50, 100], values: [0, 5, 10] };
    expect(timeToThreshold(c, 7)).toBe(70);
    expect(timeToThreshold(c, 5)).toBe(50);
    expect(timeToThreshold(c, -1)).toBe(0);
    expect(timeToThreshold(c, 10.5)).toBeNull();
  });

  it('common grid covers the steps all curves share', () => {
    const g = commonGrid(
      [
        { steps: [10, 100], values: [0, 0] },
        { steps: [0, 60, 80], values: [0, 0, 0] },
      ],
      3,
    );
    expect(g).toEqual([10, 45, 80]);
    expect(linspace(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(() =>
      commonGrid(
        [
          { steps: [0, 1], values: [0, 0] },
          { steps: [2, 3], values: [0, 0] },
        ],
        3,
      ),
    ).toThrow(/share no step range/);
  });
});
