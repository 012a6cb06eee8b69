import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/index.js';
import '../../../src/rl/index.js';
import {
  EvalCallback,
  evaluateAgent,
  type EvaluationRecord,
} from '../../../src/rl/algos/common/index.js';
import type { Agent } from '../../../src/rl/algos/types.js';

/**
 * A CartPole policy without weights: push toward the side the pole leans (`balance`, long
 * episodes) or always left (short ones). save() records where it was asked to write.
 */
function policy(balance: boolean, saves: string[]): Agent {
  return {
    algo: 'test',
    envId: 'CartPole-v1',
    envOptions: {},
    act: (obs) => {
      if (!balance) return 0;
      const o = obs as Float32Array;
      return o[2] + 0.5 * o[3] > 0 ? 1 : 0;
    },
    save: async (dir) => {
      saves.push(`${balance ? 'balance' : 'left'}->${dir}`);
    },
  };
}

describe('EvalCallback', () => {
  it('evaluates at each multiple of `every` it reaches and saves strictly better agents', async () => {
    const saves: string[] = [];
    const seen: EvaluationRecord[] = [];
    const cb = new EvalCallback(
      { every: 100, episodes: 3, seed: 7, bestDir: 'DIR', onEvaluation: (e) => seen.push(e) },
      'test',
    );
    const left = () => policy(false, saves);
    const balance = () => policy(true, saves);
    expect(await cb.maybeEvaluate(99, left)).toBeNull();
    const first = await cb.maybeEvaluate(100, left);
    expect(first).toMatchObject({ globalStep: 100, best: true });
    // The same episodes as evaluateAgent plays with that seed, deterministic.
    const ref = evaluateAgent(left(), { episodes: 3, seed: 7 });
    expect(first!.meanReturn).toBe(ref.meanReturn);
    expect(first!.stdReturn).toBe(ref.stdReturn);
    expect(await cb.maybeEvaluate(150, balance)).toBeNull();
    // A loop that jumps past several multiples (PPO's rollouts) evaluates once, then waits for
    // the next multiple after the step it reached.
    const second = await cb.maybeEvaluate(340, balance);
    expect(second!.best).toBe(true);
    expect(second!.meanReturn).toBeGreaterThan(first!.meanReturn);
    expect(await cb.maybeEvaluate(399, left)).toBeNull();
    const third = await cb.maybeEvaluate(400, left);
    expect(third!.best).toBe(false);
    // A tie is not better (SB3's EvalCallback keeps the earlier model).
    const fourth = await cb.maybeEvaluate(500, balance);
    expect(fourth!.meanReturn).toBe(second!.meanReturn);
    expect(fourth!.best).toBe(false);
    expect(saves).toEqual(['left->DIR', 'balance->DIR']);
    expect(cb.evaluations.map((e) => e.globalStep)).toEqual([100, 340, 400, 500]);
    expect(seen).toEqual(cb.evaluations);
    const seconds = cb.evaluations.map((e) => e.seconds);
    expect(seconds[0]).toBeGreaterThanOrEqual(0);
    expect(seconds).toEqual([...seconds].sort((a, b) => a - b));
  });

  it('saves nothing without bestDir', async () => {
    const saves: string[] = [];
    const cb = new EvalCallback({ every: 1, episodes: 1 }, 'test');
    expect((await cb.maybeEvaluate(1, () => policy(true, saves)))!.best).toBe(true);
    expect(saves).toEqual([]);
  });

  it('rejects bad settings with ConfigErrors naming the field and value', () => {
    expect(() => new EvalCallback({ every: 0 }, 'dqn')).toThrow(
      new ConfigError('dqn: evaluation.every must be a positive integer, got 0'),
    );
    expect(() => new EvalCallback({ every: 2.5 }, 'ppo')).toThrow(/evaluation.every .* got 2.5/);
    expect(() => new EvalCallback({ every: 10, episodes: 0 }, 'ppo')).toThrow(
      /ppo: evaluation.episodes must be a positive integer, got 0/,
    );
    expect(() => new EvalCallback({ every: 10, seed: -1 }, 'ppo')).toThrow(
      /evaluation.seed must be a non-negative integer, got -1/,
    );
  });
});
