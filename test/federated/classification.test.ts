import { describe, expect, it } from 'vitest';
import {
  ClassificationClient,
  createStrategy,
  FederatedSimulation,
  syntheticClients,
  type ParamMap,
} from '../../src/federated/index.js';

function distance(a: ParamMap, b: ParamMap): number {
  let s = 0;
  for (const [k, t] of a) {
    const u = b.get(k)!;
    for (let i = 0; i < t.size; i++) s += (t.data[i] - u.data[i]) ** 2;
  }
  return Math.sqrt(s);
}

describe('synthetic heterogeneous clients', () => {
  it('share one teacher but see the labels through their group’s map', () => {
    const cs = syntheticClients(
      { numClients: 4, labelMaps: 2, trainMin: 5, trainMax: 9, testSize: 20 },
      0,
    );
    expect(cs.map((c) => c.id)).toEqual(['client_0', 'client_1', 'client_2', 'client_3']);
    expect([...cs[0].labelMap]).toEqual([0, 1, 2, 3]);
    expect([...cs[2].labelMap]).toEqual([...cs[0].labelMap]);
    expect([...cs[3].labelMap]).toEqual([...cs[1].labelMap]);
    for (const c of cs) {
      expect(c.yTrain.length).toBeGreaterThanOrEqual(5);
      expect(c.yTrain.length).toBeLessThanOrEqual(9);
      expect(c.xTest.length).toBe(20 * 10);
    }
    expect(syntheticClients({ numClients: 2 }, 3)).toEqual(syntheticClients({ numClients: 2 }, 3));
  });
});

describe('ClassificationClient', () => {
  const data = syntheticClients({ numClients: 1, trainMin: 40, trainMax: 40 }, 1)[0];

  it('returns exactly the names it was sent; FedProx keeps it near the global model', () => {
    const make = () =>
      new ClassificationClient(data, { hidden: [8], lr: 0.2, batchSize: 8, seed: 0 });
    const c0 = make();
    const all = c0.initialParams();
    const body = new Map([...all].filter(([k]) => k.startsWith('body.')));
    const r = c0.fit(body, { round: 1, proximalMu: 0, epochs: 1 });
    expect([...r.params.keys()]).toEqual([...body.keys()]);
    expect(r.numExamples).toBe(40);
    expect(Number.isFinite(r.loss)).toBe(true);

    const drift = (mu: number) =>
      distance(make().fit(all, { round: 1, proximalMu: mu, epochs: 20 }).params, all);
    expect(drift(5)).toBeLessThan(0.5 * drift(0));
    const ev = make().evaluate(all);
    expect(ev.score).toBeGreaterThanOrEqual(0);
    expect(ev.score).toBeLessThanOrEqual(1);
  });

  it('under conflicting label maps the multi-task strategy beats FedAvg', async () => {
    const score = async (name: string) => {
      const cs = syntheticClients(
        { numClients: 6, labelMaps: 3, trainMin: 30, trainMax: 30, testSize: 100 },
        2,
      ).map(
        (d, k) => new ClassificationClient(d, { hidden: [16], lr: 0.1, batchSize: 16, seed: k }),
      );
      const sim = new FederatedSimulation(createStrategy({ name }), cs, cs[0].initialParams(), {
        seed: 0,
        epochs: 2,
      });
      for (let r = 0; r < 10; r++) await sim.runRound();
      const s = await sim.evaluate();
      return s.reduce((a, x) => a + x.score, 0) / s.length;
    };
    expect(await score('multitask')).toBeGreaterThan((await score('fedavg')) + 0.1);
  });
});
