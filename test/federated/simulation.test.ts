import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/index.js';
import {
  createStrategy,
  FederatedSimulation,
  TooFewClientsError,
  type ClientProfile,
  type FederatedClient,
  type FitConfig,
  type FitResult,
  type ParamMap,
} from '../../src/federated/index.js';
import { bits, pm, values } from './helpers.js';

type Behaviour = 'ok' | 'nan' | 'throw' | 'hang' | 'leak-head';

/** A client without any env or data: it adds `delta` to what it receives. */
class FakeClient implements FederatedClient {
  calls: { names: string[]; config: FitConfig }[] = [];
  readonly #head = new Tensor(Float32Array.of(7, 7, 7), [3]);

  constructor(
    readonly id: string,
    readonly numExamples: number,
    readonly delta: number,
    readonly behaviour: Behaviour = 'ok',
    readonly profile?: Partial<ClientProfile>,
  ) {}

  fit(shared: ParamMap, config: FitConfig): FitResult | Promise<FitResult> {
    this.calls.push({ names: [...shared.keys()], config });
    if (this.behaviour === 'throw') throw new Error(`${this.id} crashed`);
    if (this.behaviour === 'hang') return new Promise<FitResult>(() => undefined);
    const params = new Map(
      [...shared].map(([k, t]) => [
        k,
        new Tensor(
          Float32Array.from(t.data, (v) => (this.behaviour === 'nan' ? NaN : v + this.delta)),
          t.shape,
        ),
      ]),
    );
    if (this.behaviour === 'leak-head') params.set('head.w', this.#head);
    return { params, numExamples: this.numExamples, loss: 1 };
  }

  evaluate(): { loss: number; score: number; numExamples: number } {
    return { loss: 0, score: this.delta, numExamples: 1 };
  }
}

// body.w: 6 float32 = 24 bytes; head.w: 3 float32 = 12 bytes.
const initial = (): ParamMap =>
  pm({
    'body.w': [
      [0, 0, 0, 0, 0, 0],
      [2, 3],
    ],
    'head.w': [0, 0, 0],
  });

describe('communication accounting', () => {
  it('counts the tensors actually sent, per strategy', async () => {
    const mk = () => [
      new FakeClient('a', 10, 1),
      new FakeClient('b', 10, 2),
      new FakeClient('c', 10, 3),
    ];
    const cases: [string, number][] = [
      ['fedavg', 36],
      ['multitask', 24],
      ['local', 0],
    ];
    for (const [name, perClient] of cases) {
      const sim = new FederatedSimulation(createStrategy({ name }), mk(), initial(), { seed: 0 });
      const r = await sim.runRound();
      expect(r.bytesDown).toBe(3 * perClient);
      expect(r.bytesUp).toBe(3 * perClient);
    }
  });

  it('counts downloads to drop-outs but no upload from them or from stragglers', async () => {
    const clients = [
      new FakeClient('a', 10, 1),
      new FakeClient('gone', 10, 2, 'ok', { dropoutProb: 1 }),
      new FakeClient('slow', 1000, 3, 'ok', { secondsPerExample: 1 }),
    ];
    const sim = new FederatedSimulation(createStrategy({ name: 'fedavg' }), clients, initial(), {
      seed: 0,
      deadline: 5,
    });
    const r = await sim.runRound();
    expect(r.bytesDown).toBe(3 * 36);
    expect(r.bytesUp).toBe(36);
    expect(r.failures.map((f) => [f.clientId, f.reason])).toEqual([
      ['gone', 'dropout'],
      ['slow', 'straggler'],
    ]);
    expect(clients[1].calls).toHaveLength(0);
    expect(clients[2].calls).toHaveLength(0);
    expect(r.seconds).toBe(5);
    // Only 'a' took part: the new global is its update.
    expect(values(sim.global)['body.w']).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('per-client heads stay local', () => {
  it('are never sent down, and one sent up is excluded', async () => {
    const clients = [new FakeClient('a', 10, 1), new FakeClient('b', 10, 3, 'leak-head')];
    const sim = new FederatedSimulation(createStrategy({ name: 'multitask' }), clients, initial(), {
      seed: 0,
    });
    const r = await sim.runRound();
    for (const c of clients) expect(c.calls[0].names).toEqual(['body.w']);
    expect([...sim.global.keys()]).toEqual(['body.w']);
    expect(r.excluded).toMatchObject([{ clientId: 'b', reason: 'mismatch' }]);
    expect(values(sim.global)['body.w']).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('stragglers, drop-outs and failures', () => {
  it('partial work: a straggler runs the epochs that fit before the deadline', async () => {
    // 2 epochs × 10 examples × 0.1 s = 2 s; deadline 1.5 s fits 1 epoch (plus a tiny transfer).
    const slow = new FakeClient('slow', 10, 1, 'ok', { secondsPerExample: 0.1 });
    const sim = new FederatedSimulation(
      createStrategy({ name: 'fedprox', mu: 0.1 }),
      [slow],
      initial(),
      {
        seed: 0,
        epochs: 2,
        deadline: 1.5,
        stragglers: 'partial',
      },
    );
    const r = await sim.runRound();
    expect(r.failures).toEqual([]);
    expect(slow.calls[0].config).toEqual({ round: 1, proximalMu: 0.1, epochs: 1 });
    const dropSim = new FederatedSimulation(
      createStrategy({ name: 'fedprox' }),
      [slow, new FakeClient('x', 1, 0)],
      initial(),
      {
        seed: 0,
        epochs: 2,
        deadline: 1.5,
      },
    );
    expect((await dropSim.runRound()).failures[0]).toMatchObject({
      clientId: 'slow',
      reason: 'straggler',
    });
  });

  it('a client that throws or hangs is a failure, the round goes on', async () => {
    const clients = [
      new FakeClient('a', 10, 2),
      new FakeClient('boom', 10, 5, 'throw'),
      new FakeClient('hang', 10, 5, 'hang'),
    ];
    const sim = new FederatedSimulation(createStrategy({ name: 'fedavg' }), clients, initial(), {
      seed: 0,
      timeoutMs: 30,
    });
    const r = await sim.runRound();
    expect(r.failures.map((f) => [f.clientId, f.reason])).toEqual([
      ['boom', 'error'],
      ['hang', 'timeout'],
    ]);
    expect(r.failures[0].message).toMatch(/boom crashed/);
    expect(values(sim.global)['body.w']).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it('a NaN client leaves the global model bit-identical to the round without it', async () => {
    const run = async (withBad: boolean) => {
      const clients = [new FakeClient('a', 10, 1), new FakeClient('b', 30, 5)];
      if (withBad) clients.push(new FakeClient('nan', 50, 0, 'nan'));
      const sim = new FederatedSimulation(createStrategy({ name: 'fedavg' }), clients, initial(), {
        seed: 0,
      });
      const r = await sim.runRound();
      return { global: sim.global, r };
    };
    const clean = await run(false);
    const dirty = await run(true);
    expect(bits(dirty.global)).toEqual(bits(clean.global));
    expect(dirty.r.excluded).toMatchObject([{ clientId: 'nan', reason: 'non-finite' }]);
    // Weighted by data size over a (10) and b (30): 0.25·1 + 0.75·5 = 4.
    expect(values(dirty.global)['body.w']).toEqual([4, 4, 4, 4, 4, 4]);
  });
});

describe('too few clients', () => {
  it('fewer available than minClients: typed error, global unchanged', async () => {
    const sim = new FederatedSimulation(
      createStrategy({ name: 'fedavg' }),
      [new FakeClient('a', 1, 1)],
      initial(),
      {
        seed: 0,
        minClients: 2,
      },
    );
    const before = bits(sim.global);
    await expect(sim.runRound()).rejects.toThrow(TooFewClientsError);
    await expect(sim.runRound()).rejects.toThrow(
      /1 client\(s\) available, need at least minClients = 2/,
    );
    expect(bits(sim.global)).toEqual(before);
  });

  it('every update lost: error, or a skipped round with skipFailedRounds', async () => {
    const mk = () => [new FakeClient('boom', 1, 1, 'throw'), new FakeClient('nan', 1, 1, 'nan')];
    const strict = new FederatedSimulation(createStrategy({ name: 'fedavg' }), mk(), initial(), {
      seed: 0,
    });
    await expect(strict.runRound()).rejects.toThrow(
      /0 valid result\(s\), need at least 1; global model unchanged/,
    );
    const lenient = new FederatedSimulation(createStrategy({ name: 'fedavg' }), mk(), initial(), {
      seed: 0,
      skipFailedRounds: true,
    });
    const before = bits(lenient.global);
    const r = await lenient.runRound();
    expect(r.status).toBe('skipped');
    expect(r.excluded).toMatchObject([{ clientId: 'nan', reason: 'non-finite' }]);
    expect(r.failures).toMatchObject([{ clientId: 'boom', reason: 'error' }]);
    expect(bits(lenient.global)).toEqual(before);
  });

  it('refuses duplicate client ids', () => {
    expect(
      () =>
        new FederatedSimulation(
          createStrategy({ name: 'fedavg' }),
          [new FakeClient('a', 1, 1), new FakeClient('a', 1, 1)],
          initial(),
          { seed: 0 },
        ),
    ).toThrow(/duplicate client id 'a'/);
  });
});

describe('sampling', () => {
  const mk = () =>
    Array.from(
      { length: 10 },
      (_, i) => new FakeClient(`c${i}`, 10 + i, i, 'ok', { dropoutProb: 0.2 }),
    );

  it('samples a fraction (at least minClients) and is deterministic per seed', async () => {
    const run = async (seed: number) => {
      const sim = new FederatedSimulation(createStrategy({ name: 'fedavg' }), mk(), initial(), {
        seed,
        fraction: 0.3,
        minClients: 4,
        jitter: 0.5,
        skipFailedRounds: true,
      });
      const out = [];
      for (let i = 0; i < 5; i++) out.push(await sim.runRound());
      return { reports: out, global: bits(sim.global) };
    };
    const a = await run(7);
    for (const r of a.reports) expect(r.sampled).toHaveLength(4);
    const b = await run(7);
    expect(b.reports).toEqual(a.reports);
    expect(b.global).toEqual(a.global);
    expect((await run(8)).reports.map((r) => r.sampled)).not.toEqual(
      a.reports.map((r) => r.sampled),
    );
  });
});
