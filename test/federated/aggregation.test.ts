import { describe, expect, it } from 'vitest';
import { ConfigError, Tensor, ValueError } from '../../src/core/index.js';
import {
  clientWeights,
  createStrategy,
  fedAvg,
  fedAvgAggregate,
  fedProx,
  fedProxAggregate,
  localOnlyAggregate,
  multiTask,
  multiTaskAggregate,
  paramBytes,
  TooFewClientsError,
  type ClientFailure,
} from '../../src/federated/index.js';
import { bits, pm, result, values } from './helpers.js';

const global = pm({ 'body.w': [0, 0], 'body.b': [10] });
const c1 = result('c1', pm({ 'body.w': [1, 2], 'body.b': [4] }), 10, 3);
const c2 = result('c2', pm({ 'body.w': [3, 6], 'body.b': [8] }), 30, 1);

describe('FedAvg / FedProx aggregation by hand', () => {
  it('data-size weights: θ = Σ n_k θ_k / Σ n_k', () => {
    for (const agg of [fedAvgAggregate, fedProxAggregate]) {
      const out = agg(global, [c1, c2], [], { weighting: 'data-size' });
      // w = (10, 30) / 40 = (0.25, 0.75)
      expect(values(out.global)).toEqual({ 'body.w': [2.5, 5], 'body.b': [7] });
      expect(out.report.included).toEqual([
        { clientId: 'c1', weight: 0.25 },
        { clientId: 'c2', weight: 0.75 },
      ]);
    }
  });

  it('uniform and loss-adaptive weights', () => {
    expect(values(fedAvgAggregate(global, [c1, c2], [], { weighting: 'uniform' }).global)).toEqual({
      'body.w': [2, 4],
      'body.b': [6],
    });
    // ω ∝ L: losses (3, 1) -> (0.75, 0.25).
    const byLoss = fedAvgAggregate(global, [c1, c2], [], { weighting: { kind: 'loss', power: 1 } });
    expect(values(byLoss.global)).toEqual({ 'body.w': [1.5, 3], 'body.b': [5] });
    // ω ∝ L²: (9, 1) / 10.
    const sq = fedAvgAggregate(global, [c1, c2], [], { weighting: { kind: 'loss', power: 2 } });
    expect(sq.global.get('body.w')!.data[0]).toBeCloseTo(0.9 * 1 + 0.1 * 3, 6);
  });

  it('server learning rate: θ + η (mean − θ)', () => {
    const out = fedAvgAggregate(global, [c1, c2], [], { weighting: 'uniform', serverLr: 0.5 });
    expect(values(out.global)).toEqual({ 'body.w': [1, 2], 'body.b': [8] });
  });

  it('never mutates its inputs', () => {
    const g0 = bits(global);
    const r0 = bits(c1.params);
    fedAvgAggregate(global, [c1, c2], [], { weighting: 'data-size' });
    expect(bits(global)).toEqual(g0);
    expect(bits(c1.params)).toEqual(r0);
  });
});

describe('client weights ω_k', () => {
  const rs = [
    { numExamples: 10, loss: 2 },
    { numExamples: 30, loss: 0 },
  ];
  it('follows each rule', () => {
    expect(clientWeights(rs, 'uniform')).toEqual([0.5, 0.5]);
    expect(clientWeights(rs, 'data-size')).toEqual([0.25, 0.75]);
    expect(clientWeights(rs, { kind: 'loss', power: 1 })).toEqual([1, 0]);
    expect(clientWeights(rs, { kind: 'loss', power: 0 })).toEqual([0.5, 0.5]);
    // All losses 0: uniform rather than 0/0.
    expect(
      clientWeights(
        [
          { numExamples: 1, loss: 0 },
          { numExamples: 1, loss: 0 },
        ],
        { kind: 'loss', power: 1 },
      ),
    ).toEqual([0.5, 0.5]);
    expect(clientWeights([], 'uniform')).toEqual([]);
    expect(() =>
      clientWeights([{ numExamples: 1, loss: NaN }], { kind: 'loss', power: 1 }),
    ).toThrow(ValueError);
  });
});

describe('bad input is excluded and cannot touch the global model', () => {
  const nan = result('bad', pm({ 'body.w': [NaN, 1], 'body.b': [1] }));
  const inf = result('inf', pm({ 'body.w': [1, 1], 'body.b': [Infinity] }));
  const shape = result(
    'shape',
    pm({
      'body.w': [
        [1, 2],
        [2, 1],
      ],
      'body.b': [1],
    }),
  );
  const missing = result('missing', pm({ 'body.w': [1, 2] }));
  const extra = result('extra', pm({ 'body.w': [1, 2], 'body.b': [1], 'head.w': [5] }));
  const f64 = result(
    'f64',
    new Map([
      ['body.w', new Tensor(Float64Array.of(1, 2), [2])],
      ['body.b', new Tensor(Float64Array.of(1), [1])],
    ]),
  );
  const nanLoss = result('nanloss', c2.params, 10, NaN);
  const noData = result('nodata', c2.params, 0, 1);
  const dup = result('c1', c2.params, 10, 1);

  it('leaves the result bit-identical to aggregating the good clients alone', () => {
    const clean = fedAvgAggregate(global, [c1, c2], [], { weighting: 'data-size' });
    const dirty = fedAvgAggregate(
      global,
      [nan, c1, inf, shape, missing, c2, extra, f64, nanLoss, noData, dup],
      [],
      { weighting: 'data-size' },
    );
    expect(bits(dirty.global)).toEqual(bits(clean.global));
    expect(dirty.report.excluded.map((e) => [e.clientId, e.reason])).toEqual([
      ['bad', 'non-finite'],
      ['inf', 'non-finite'],
      ['shape', 'mismatch'],
      ['missing', 'mismatch'],
      ['extra', 'mismatch'],
      ['f64', 'mismatch'],
      ['nanloss', 'non-finite'],
      ['nodata', 'bad-metadata'],
      ['c1', 'duplicate'],
    ]);
    expect(dirty.report.excluded[0].detail).toMatch(/'body.w'\[0\] = NaN/);
    expect(dirty.report.excluded[2].detail).toMatch(/shape \[2, 1\], expected \[2\]/);
    expect(dirty.report.excluded[4].detail).toMatch(/unexpected head.w/);
  });

  it('too few valid results: a typed error, and the caller keeps the old global', () => {
    const before = bits(global);
    let err: unknown;
    try {
      fedAvgAggregate(global, [nan, shape], [{ clientId: 'x', reason: 'dropout', message: '' }], {
        weighting: 'uniform',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TooFewClientsError);
    expect((err as TooFewClientsError).have).toBe(0);
    expect((err as TooFewClientsError).need).toBe(1);
    expect((err as Error).message).toMatch(/bad: non-finite.*shape: mismatch.*x: dropout/);
    expect(bits(global)).toEqual(before);
    expect(() =>
      fedAvgAggregate(global, [c1], [], { weighting: 'uniform', minResults: 2 }),
    ).toThrow(/1 valid result\(s\), need at least 2/);
    // minResults 0 with nothing valid: the global model comes back unchanged (a copy).
    const none = fedAvgAggregate(global, [nan], [], { weighting: 'uniform', minResults: 0 });
    expect(bits(none.global)).toEqual(before);
    expect(none.global).not.toBe(global);
  });

  it('passes failures through to the report', () => {
    const failures: ClientFailure[] = [
      { clientId: 's', reason: 'straggler', message: 'late' },
      { clientId: 'd', reason: 'dropout', message: 'gone' },
    ];
    expect(
      fedAvgAggregate(global, [c1], failures, { weighting: 'uniform' }).report.failures,
    ).toEqual(failures);
  });
});

describe('strategies', () => {
  it('share what they should', () => {
    expect(fedAvg().shares('head.weight')).toBe(true);
    expect(fedProx(0.1).fitConfig(3, 2)).toEqual({ round: 3, proximalMu: 0.1, epochs: 2 });
    const mt = multiTask();
    expect(mt.shares('body.0.weight')).toBe(true);
    expect(mt.shares('head.weight')).toBe(false);
    expect(createStrategy({ name: 'local' }).shares('body.0.weight')).toBe(false);
    expect(() => fedProx(-1)).toThrow(/mu/);
  });

  it('multi-task aggregation averages the body; a head sent up is a mismatch', () => {
    const body = pm({ 'body.w': [0, 0] });
    const ok = result('a', pm({ 'body.w': [2, 4] }));
    const leaky = result('b', pm({ 'body.w': [100, 100], 'head.w': [1] }));
    const out = multiTaskAggregate(body, [ok, leaky], [], { weighting: 'uniform' });
    expect(values(out.global)).toEqual({ 'body.w': [2, 4] });
    expect(out.report.excluded[0]).toMatchObject({ clientId: 'b', reason: 'mismatch' });
  });

  it('local-only keeps nothing on the server', () => {
    const out = localOnlyAggregate(new Map(), [result('a', new Map())], [], {
      weighting: 'uniform',
    });
    expect(out.global.size).toBe(0);
    expect(paramBytes(out.global)).toBe(0);
  });

  it('are built by name with checked options', () => {
    expect(createStrategy({ name: 'fedprox', mu: 0.5 }).fitConfig(1, 1).proximalMu).toBe(0.5);
    expect(() => createStrategy({ name: 'fedsgd' })).toThrow(ConfigError);
    expect(() => createStrategy({ name: 'fedprox', mu: -1 })).toThrow(/mu/);
    expect(() => createStrategy({ name: 'fedavg', lr: 1 })).toThrow(ConfigError);
  });
});
