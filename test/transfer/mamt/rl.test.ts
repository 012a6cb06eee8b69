import { beforeAll, describe, expect, it } from 'vitest';
import { loadRlRegistries } from '../../../src/experiments/rl-registries.js';
import { mamtSchema, runMamt, type MamtConfig } from '../../../src/transfer/mamt/index.js';

beforeAll(async () => {
  await loadRlRegistries();
});

function cartpole(meta: MamtConfig['meta']): MamtConfig {
  return mamtSchema.parse({
    meta,
    family: {
      vary: {
        forceMag: {
          ranges: [
            [-12, -8],
            [8, 12],
          ],
        },
      },
    },
    inner: { steps: 1, lr: 0.5, episodes: 2 },
    outer: { metaBatch: 2, lr: 0.01, innerSteps: meta === 'reptile' ? 2 : undefined },
    adaptation: { trials: 2 },
    policy: { hidden: [8] },
    horizon: 20,
  });
}

describe('runMamt on RL task families (tiny budgets)', () => {
  it('meta-trains within the env-step budget and records the adaptation curve', () => {
    for (const meta of ['fomaml', 'reptile', 'anil', 'joint', 'none'] as const) {
      const r = runMamt({
        envId: 'CartPole-v1',
        target: { forceMag: -10 },
        config: cartpole(meta),
        seed: 3,
        totalSteps: 300,
      });
      if (meta === 'none') expect(r.history).toHaveLength(0);
      else {
        expect(r.history.length).toBeGreaterThan(0);
        // Stops at the first iteration that reaches the budget.
        expect(r.history.at(-2)?.envSteps ?? 0).toBeLessThan(300);
        expect(r.metaEnvSteps).toBeGreaterThanOrEqual(300);
      }
      // (K + 1) steps × episodes × trials, in step order.
      expect(r.episodes).toHaveLength(2 * 2 * 2);
      expect(r.episodes.map((e) => e.globalStep)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
      expect(r.returnsByStep).toHaveLength(2);
      for (const e of r.episodes) expect(e.episodicLength).toBeLessThanOrEqual(20);
    }
  });

  it('is deterministic per seed; methods share the initial weights of a seed', () => {
    const run = (seed: number, meta: MamtConfig['meta'] = 'fomaml') =>
      runMamt({
        envId: 'CartPole-v1',
        target: { forceMag: -10 },
        config: cartpole(meta),
        seed,
        totalSteps: 200,
      });
    const a = run(1);
    const b = run(1);
    expect(b.episodes).toEqual(a.episodes);
    expect([...b.init]).toEqual([...a.init]);
    expect(run(2).episodes).not.toEqual(a.episodes);
    // 'none' adapts from the very weights fomaml started from.
    const none = run(1, 'none');
    const none2 = run(1, 'none');
    expect([...none.init]).toEqual([...none2.init]);
  });

  it('adapts a shared policy across agent counts on cooperative navigation', () => {
    const config = mamtSchema.parse({
      meta: 'fomaml',
      family: { vary: { numAgents: { choices: [2, 3] } } },
      inner: { steps: 1, lr: 0.5, episodes: 2 },
      outer: { metaBatch: 2 },
      adaptation: { trials: 1 },
      policy: { hidden: [8] },
    });
    const r = runMamt({
      envId: 'SimpleSpread-v3',
      target: { numAgents: 2, numLandmarks: 2, maxCycles: 5 },
      config,
      seed: 0,
      totalSteps: 40,
    });
    expect(r.history.length).toBeGreaterThan(0);
    // Input: 4 + 3·Lmax + 3·(Nmax − 1) + Nmax with Nmax = Lmax = 3.
    expect(r.policy.parameters()[0].shape).toEqual([8, 4 + 9 + 6 + 3]);
    expect(r.episodes).toHaveLength(4);
    for (const e of r.episodes) expect(e.episodicLength).toBe(5);
  });

  it('meta-trains on a hidden-goal family: tasks differ in reward only, inputs keep their size', () => {
    const config = mamtSchema.parse({
      meta: 'reptile',
      family: { vary: { goalAngle: [0, 6.2832] } },
      inner: { steps: 1, lr: 0.5, episodes: 2 },
      outer: { metaBatch: 2, innerSteps: 2 },
      adaptation: { trials: 1 },
      policy: { hidden: [8] },
    });
    const run = (goalOffset: number) =>
      runMamt({
        envId: 'SimpleSpread-v3',
        target: { numAgents: 2, numLandmarks: 2, maxCycles: 5, goalOffset, goalAngle: 1 },
        config,
        seed: 0,
        totalSteps: 40,
      });
    const moved = run(1);
    const plain = run(0);
    expect(moved.policy.parameters()[0].shape).toEqual([8, 4 + 6 + 3 + 2]);
    // Same seed, same observations and actions at first: only the rewarded points differ.
    expect(moved.history[0].before).not.toBe(plain.history[0].before);
    expect(moved.episodes.map((e) => e.episodicLength)).toEqual(
      plain.episodes.map((e) => e.episodicLength),
    );
  });

  it('refuses Reptile without inner steps and envs without discrete actions', () => {
    const c = cartpole('reptile');
    expect(() =>
      runMamt({
        envId: 'CartPole-v1',
        target: {},
        config: { ...c, outer: { ...c.outer, innerSteps: 0 } },
        seed: 0,
        totalSteps: 10,
      }),
    ).toThrow(/reptile/);
    expect(() =>
      runMamt({
        envId: 'SimpleSpread-v3',
        target: { continuousActions: true },
        config: { ...cartpole('fomaml'), family: { vary: {}, exclude: [], excludeTarget: true } },
        seed: 0,
        totalSteps: 10,
      }),
    ).toThrow(/Discrete/);
  });
});
