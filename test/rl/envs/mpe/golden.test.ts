import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimpleSpreadEnv } from '../../../../src/rl/envs/mpe/envs.js';

/** Written by scripts/golden/mpe_reference.py (a numpy restatement of PettingZoo's equations). */
interface GoldenCase {
  name: string;
  numAgents: number;
  numLandmarks: number;
  localRatio: number;
  continuousActions: boolean;
  maxCycles: number;
  initialState: { agents: { pos: number[] }[]; landmarks: { pos: number[] }[] };
  initialObservations: number[][];
  actions: (number | number[])[][];
  observations: number[][][];
  rewards: number[][];
  overlappingPairSteps: number;
}

const golden = JSON.parse(
  readFileSync(new URL('../../../fixtures/rl/mpe_spread_golden.json', import.meta.url), 'utf8'),
) as { cases: GoldenCase[] };

/** float32 tolerance: a few ulps of the magnitudes involved (|x| <~ 5). */
function expectClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-6 + 1e-5 * Math.abs(expected[i]);
    if (Math.abs(actual[i] - expected[i]) > tol) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (tol ${tol})`);
    }
  }
}

describe('SimpleSpread-v3 golden trajectories (numpy restatement of PettingZoo)', () => {
  it('covers collisions somewhere in the fixture', () => {
    expect(golden.cases.some((c) => c.overlappingPairSteps > 10)).toBe(true);
  });

  for (const c of golden.cases) {
    it(`matches ${c.name} for ${c.maxCycles} steps`, () => {
      const env = new SimpleSpreadEnv({
        numAgents: c.numAgents,
        numLandmarks: c.numLandmarks,
        localRatio: c.localRatio,
        continuousActions: c.continuousActions,
        maxCycles: c.maxCycles,
      });
      const { observations } = env.reset({ seed: 0, options: { initialState: c.initialState } });
      const agents = env.possibleAgents;
      agents.forEach((a, i) => expectClose(observations[a], c.initialObservations[i], `${a} obs0`));
      for (let t = 0; t < c.maxCycles; t++) {
        const actions: Record<string, number | number[]> = {};
        agents.forEach((a, i) => (actions[a] = c.actions[t][i]));
        const r = env.step(actions);
        agents.forEach((a, i) => {
          expectClose(r.observations[a], c.observations[t][i], `step ${t} ${a} obs`);
          expectClose([r.rewards[a]], [c.rewards[t][i]], `step ${t} ${a} reward`);
          expect(r.truncations[a]).toBe(t === c.maxCycles - 1);
          expect(r.terminations[a]).toBe(false);
        });
      }
      expect(env.agents).toEqual([]);
    });
  }
});
