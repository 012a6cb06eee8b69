/**
 * FTML, federated multi-task learning: min_θ Σ_k ω_k L_k(θ) over K clients, each with its own
 * task and data that never leave it. This file wires one run: the heterogeneous client
 * population (clients/synthetic.ts), each client's simulated device, a strategy by name, and the
 * rounds of src/federated/simulation.ts, evaluating every client after every round.
 *
 * The score reported per client is its test accuracy with the model it would use: the global
 * model under FedAvg/FedProx, the global body with its own head under the multi-task strategy,
 * its own model under local-only training.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/index.js';
import {
  ClassificationClient,
  createStrategy,
  FederatedSimulation,
  simulationSchema,
  syntheticClients,
  syntheticClientsSchema,
  type RoundReport,
} from '../../federated/index.js';

export const ftmlSchema = z
  .object({
    /** `{name: fedprox, mu: 0.01}`; options are checked by the strategy's own schema. */
    strategy: z
      .object({ name: z.string() })
      .catchall(z.unknown())
      .superRefine((spec, ctx) => {
        try {
          createStrategy(spec);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    clients: syntheticClientsSchema.prefault({}),
    /** Client model: MLP body (hidden sizes, tanh) + linear head. */
    model: z
      .object({ hidden: z.array(z.number().int().positive()).min(1).default([32]) })
      .strict()
      .prefault({}),
    local: z
      .object({
        lr: z.number().positive().default(0.1),
        batchSize: z.number().int().positive().default(16),
      })
      .strict()
      .prefault({}),
    /** Simulated devices: speeds spread evenly over [lo, hi] seconds per example per epoch. */
    devices: z
      .object({
        secondsPerExample: z
          .tuple([z.number().positive(), z.number().positive()])
          .default([0.001, 0.001]),
        bytesPerSecond: z.number().positive().default(1e6),
        dropoutProb: z.number().min(0).max(1).default(0),
      })
      .strict()
      .prefault({}),
    simulation: simulationSchema.prefault({}),
    /** Mixed with the run's seed to draw the client population (the same for every method). */
    dataSeed: z.number().int().nonnegative().default(0),
  })
  .strict();
export type FtmlConfig = z.infer<typeof ftmlSchema>;

export interface ClientScore {
  clientId: string;
  score: number;
  loss: number;
  numExamples: number;
}

export interface RunFtmlOptions {
  config: FtmlConfig;
  rounds: number;
  seed: number;
  /** After round r (0 = before training) with every client's score. */
  onEvaluate?: (round: number, scores: ClientScore[]) => void;
  onRound?: (report: RoundReport) => void;
}

export interface FtmlResult {
  strategy: string;
  reports: RoundReport[];
  /** Mean client score after each round, 0..rounds. */
  meanScore: number[];
  bytesUp: number;
  bytesDown: number;
}

export async function runFtml(options: RunFtmlOptions): Promise<FtmlResult> {
  const { config: cfg, rounds, seed } = options;
  if (!Number.isSafeInteger(rounds) || rounds < 0) {
    throw new ConfigError(`ftml: rounds must be a non-negative integer, got ${rounds}`);
  }
  const strategy = createStrategy(cfg.strategy);
  // Each seed draws its own client population; methods with the same seed see the same one.
  const data = syntheticClients(cfg.clients, cfg.dataSeed * 1_000_003 + seed);
  const [lo, hi] = cfg.devices.secondsPerExample;
  const clients = data.map(
    (d, k) =>
      new ClassificationClient(d, {
        hidden: cfg.model.hidden,
        lr: cfg.local.lr,
        batchSize: cfg.local.batchSize,
        seed: seed * 100_003 + k,
        profile: {
          secondsPerExample: lo + (hi - lo) * (data.length === 1 ? 0 : k / (data.length - 1)),
          bytesPerSecond: cfg.devices.bytesPerSecond,
          dropoutProb: cfg.devices.dropoutProb,
        },
      }),
  );
  const sim = new FederatedSimulation(strategy, clients, clients[0].initialParams(), {
    ...cfg.simulation,
    seed,
  });
  const meanScore: number[] = [];
  const evaluate = async (round: number): Promise<void> => {
    const scores = await sim.evaluate();
    meanScore.push(scores.reduce((a, s) => a + s.score, 0) / scores.length);
    options.onEvaluate?.(round, scores);
  };
  await evaluate(0);
  let bytesUp = 0;
  let bytesDown = 0;
  for (let r = 1; r <= rounds; r++) {
    const rep = await sim.runRound();
    bytesUp += rep.bytesUp;
    bytesDown += rep.bytesDown;
    options.onRound?.(rep);
    await evaluate(r);
  }
  return { strategy: strategy.name, reports: sim.reports, meanScore, bytesUp, bytesDown };
}
