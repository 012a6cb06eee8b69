import { describe, expect, it } from 'vitest';
import { ConfigError, Generator, mean, Tensor } from '../../../src/core/index.js';
import {
  Box,
  Dict,
  Discrete,
  MultiBinary,
  Space,
  type SpaceJSON,
} from '../../../src/rl/spaces/index.js';

/** A space flatten() does not know. */
class Words extends Space<string> {
  readonly shape = [] as const;
  sample(): string {
    return 'a';
  }
  contains(x: unknown): x is string {
    return typeof x === 'string';
  }
  toJSON(): SpaceJSON {
    return { type: 'Words' } as unknown as SpaceJSON;
  }
}
import {
  buildFeatureMap,
  selectionMatrix,
  spaceMapping,
  SpaceMappingError,
} from '../../../src/transfer/mapping.js';

const rng = (): Generator => new Generator(0);
const batch = (rows: number[][]): Tensor =>
  new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);

describe('mapping layer', () => {
  const x = batch([
    [1, 2, 3, 4, 5],
    [-1, 0, 1, 0, -1],
  ]);

  it('pad zero-pads or truncates; identity keeps; permutation reorders', () => {
    expect(Array.from(buildFeatureMap({ kind: 'pad' }, 5, 3, rng(), 'm').forward(x).data)).toEqual([
      1, 2, 3, -1, 0, 1,
    ]);
    const up = buildFeatureMap({ kind: 'pad' }, 5, 7, rng(), 'm').forward(x);
    expect(up.shape).toEqual([2, 7]);
    expect(Array.from(up.data)).toEqual([1, 2, 3, 4, 5, 0, 0, -1, 0, 1, 0, -1, 0, 0]);
    expect(buildFeatureMap({ kind: 'identity' }, 5, 5, rng(), 'm').forward(x)).toBe(x);
    const perm = buildFeatureMap({ kind: 'permutation', order: [4, 0] }, 5, 2, rng(), 'm');
    expect(Array.from(perm.forward(x).data)).toEqual([5, 1, -1, -1]);
    expect(perm.learned).toBe(false);
    expect(Array.from(selectionMatrix(2, 2, [1, 0]).data)).toEqual([0, 1, 1, 0]);
  });

  it('learned maps (linear, mlp) start as pad and have parameters that get gradients', () => {
    for (const cfg of [
      { kind: 'linear' as const },
      { kind: 'mlp' as const, hidden: [6], activation: 'tanh' as const },
    ]) {
      const m = buildFeatureMap(cfg, 5, 3, rng(), 'm');
      expect(m.learned).toBe(true);
      const y = m.forward(x);
      expect(y.shape).toEqual([2, 3]);
      Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo([1, 2, 3, -1, 0, 1][i], 6));
      mean(y.mul(y)).backward();
      const grads = m.parameters().map((p) => p.grad);
      expect(grads.some((g) => g && Array.from(g.data).some((v) => v !== 0))).toBe(true);
    }
  });

  it('connects spaces of different sizes through the configured maps', () => {
    const source = { observationSpace: new Box(-1, 1, [4]), actionSpace: new Discrete(2) };
    const target = { observationSpace: new Box(-1, 1, [6]), actionSpace: new Discrete(3) };
    const { stateMap, actionMap } = spaceMapping(source, target, {
      state: { kind: 'linear' },
      action: { kind: 'pad' },
      rng: rng(),
    });
    expect([stateMap.inDim, stateMap.outDim, actionMap.inDim, actionMap.outDim]).toEqual([
      6, 4, 2, 3,
    ]);
    expect(stateMap.forward(new Tensor(new Float32Array(12), [2, 6])).shape).toEqual([2, 4]);
    // Discrete observations are one-hot: Discrete(5) is 5 features.
    const d = spaceMapping(
      { observationSpace: new Discrete(5), actionSpace: new Discrete(2) },
      target,
      {
        state: { kind: 'pad' },
        action: { kind: 'pad' },
        rng: rng(),
      },
    );
    expect([d.stateMap.inDim, d.stateMap.outDim]).toEqual([6, 5]);
    expect(
      spaceMapping(
        source,
        {
          observationSpace: new Dict({ a: new Box(0, 1, [2]), b: new MultiBinary(2) }),
          actionSpace: new Discrete(2),
        },
        { rng: rng() },
      ).stateMap.kind,
    ).toBe('identity');
  });

  it('unmappable spaces are a typed SpaceMappingError that says what would work', () => {
    const discrete = { observationSpace: new Box(-1, 1, [4]), actionSpace: new Discrete(2) };
    const box = { observationSpace: new Box(-1, 1, [4]), actionSpace: new Box(-1, 1, [2]) };
    for (const action of [undefined, { kind: 'pad' as const }, { kind: 'identity' as const }]) {
      const err = (() => {
        try {
          spaceMapping(discrete, box, { action, name: 'upright', rng: rng() });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(SpaceMappingError);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(
        /source 'upright' has Discrete actions, the target Box actions.*learned action map/,
      );
    }
    // With a learned map Q-values can become Gaussian means.
    expect(
      spaceMapping(discrete, box, { action: { kind: 'linear' }, rng: rng() }).actionMap.outDim,
    ).toBe(2);
    const wide = { observationSpace: new Box(-1, 1, [6]), actionSpace: new Discrete(2) };
    expect(() => spaceMapping(discrete, wide, { rng: rng() })).toThrow(
      /identity needs equal sizes, got 6 -> 4.*'pad'/,
    );
    expect(() =>
      spaceMapping(
        discrete,
        { ...discrete, actionSpace: new Box(-1, 1, [2, 2]) },
        { action: { kind: 'linear' }, rng: rng() },
      ),
    ).toThrow(/only Discrete and 1-D Box/);
    expect(() =>
      spaceMapping(discrete, { ...discrete, observationSpace: new Words() }, { rng: rng() }),
    ).toThrow(SpaceMappingError);
    expect(() =>
      spaceMapping(discrete, discrete, {
        action: { kind: 'permutation', order: [0, 2] },
        rng: rng(),
      }),
    ).toThrow(/permutation order \[0, 2\] must have 2 entries, each < 2/);
    expect(() => buildFeatureMap({ kind: 'cubic' } as never, 2, 2, rng(), 'state map')).toThrow(
      SpaceMappingError,
    );
  });
});
