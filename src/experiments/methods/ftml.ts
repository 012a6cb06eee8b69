/**
 * The 'ftml' method: federated multi-task learning over heterogeneous simulated clients, with a
 * strategy by name (local, fedavg, fedprox, multitask: src/federated/strategies/).
 *
 * `totalSteps` is the number of communication rounds. The learning curve is the mean per-client
 * score after each round: one record per client (agent = client id, return = 100 × test
 * accuracy, globalStep = round), which the summary averages over clients; round 0 is the
 * untrained model. Bytes up/down, failures and exclusions per round go to metrics.jsonl
 * ('round' events) and rounds.json, and cumulative traffic to a plotted time series.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { EpisodeRecord } from '../../rl/algos/types.js';
import { ftmlSchema, runFtml } from '../../transfer/ftml/index.js';
import { registerMethod } from '../methods.js';

registerMethod({
  kind: 'ftml',
  summary:
    'federated multi-task learning: local-only, FedAvg, FedProx or shared body + local heads',
  schema: ftmlSchema.extend({ hyperparams: z.object({}).strict().default({}) }),
  async run({ config, seed, outDir, onProgress, onEpisode, onEvent }) {
    const cfg = ftmlSchema.parse(
      Object.fromEntries(Object.keys(ftmlSchema.shape).map((k) => [k, config[k]])),
    );
    const rounds = config.totalSteps;
    const episodes: EpisodeRecord[] = [];
    const traffic = { steps: [0], up: [0], down: [0] };
    const result = await runFtml({
      config: cfg,
      rounds,
      seed,
      onEvaluate(round, scores) {
        for (const s of scores) {
          const rec = {
            globalStep: round,
            episodicReturn: 100 * s.score,
            episodicLength: s.numExamples,
            agent: s.clientId,
          };
          episodes.push(rec);
          onEpisode(rec);
        }
        if (round > 0) {
          const mean = (100 * scores.reduce((a, s) => a + s.score, 0)) / scores.length;
          onProgress({ globalStep: round, totalSteps: rounds, episodicReturn: mean });
        }
      },
      onRound(rep) {
        traffic.steps.push(rep.round);
        traffic.up.push(traffic.up[traffic.up.length - 1] + rep.bytesUp / 1e6);
        traffic.down.push(traffic.down[traffic.down.length - 1] + rep.bytesDown / 1e6);
        onEvent({
          type: 'round',
          globalStep: rep.round,
          status: rep.status,
          sampled: rep.sampled.length,
          included: rep.included.length,
          excluded: rep.excluded,
          failures: rep.failures,
          bytesUp: rep.bytesUp,
          bytesDown: rep.bytesDown,
          seconds: rep.seconds,
        });
      },
    });
    await writeFile(join(outDir, 'rounds.json'), `${JSON.stringify(result.reports, null, 1)}\n`);
    const failures = result.reports.flatMap((r) => r.failures);
    const count = (reason: string): number => failures.filter((f) => f.reason === reason).length;
    return {
      episodes,
      checkpointDir: outDir,
      extra: {
        strategy: result.strategy,
        bytesUp: result.bytesUp,
        bytesDown: result.bytesDown,
        failures: {
          straggler: count('straggler'),
          dropout: count('dropout'),
          error: count('error'),
          timeout: count('timeout'),
        },
        excluded: result.reports.reduce((n, r) => n + r.excluded.length, 0),
        skippedRounds: result.reports.filter((r) => r.status === 'skipped').length,
        timeSeries: [
          {
            name: 'communication',
            yLabel: 'cumulative MB (x: round)',
            steps: traffic.steps,
            series: { up: traffic.up, down: traffic.down },
          },
        ],
      },
    };
  },
});
