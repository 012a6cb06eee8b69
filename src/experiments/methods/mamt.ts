/**
 * The 'mamt' method: multi-agent meta-transfer. An initialisation is made on a task family
 * (`meta`: fomaml, reptile, anil; joint for multi-task training; none for a random one), then
 * adapted on the experiment's env (the held-out target task) in K inner policy-gradient steps.
 *
 * The learning curve is the adaptation curve: the target's episodes played after k = 0..K inner
 * steps are recorded with globalStep = k, so jumpstart is the zero-shot return of the
 * initialisation and the final return is the return after K steps. `totalSteps` is the
 * meta-training budget in env steps (the same for every pre-training method; unused by none).
 * Meta-training progress goes to metrics.jsonl as 'meta-iteration' events and to a time series.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { saveSafetensors } from '../../core/index.js';
import { mamtSchema, runMamt, writeParams } from '../../transfer/mamt/index.js';
import { registerMethod, type TimeSeries } from '../methods.js';
import { loadRlRegistries } from '../rl-registries.js';

registerMethod({
  kind: 'mamt',
  summary: 'meta-learned (FOMAML/Reptile/ANIL), joint or scratch init, adapted in K inner steps',
  schema: mamtSchema.extend({
    // The method has its own fields; RL-algorithm hyperparams do not apply.
    hyperparams: z.object({}).strict().default({}),
  }),
  async run({ config, experiment, seed, outDir, onProgress, onEpisode, onEvent }) {
    await loadRlRegistries();
    const cfg = mamtSchema.parse(
      Object.fromEntries(Object.keys(mamtSchema.shape).map((k) => [k, config[k]])),
    );
    const result = runMamt({
      envId: experiment.env.id,
      target: experiment.env.options,
      config: cfg,
      seed,
      totalSteps: config.totalSteps,
      onProgress,
      onIteration: (it) => onEvent({ type: 'meta-iteration', globalStep: it.envSteps, ...it }),
    });
    for (const e of result.episodes) onEpisode(e);
    onProgress({ globalStep: config.totalSteps, totalSteps: config.totalSteps });

    writeParams(result.policy, result.init);
    const tensors = Object.fromEntries(
      [...result.policy.stateDict()].map(([name, t]) => [
        name,
        { dtype: 'F32' as const, shape: t.shape, data: Float32Array.from(t.data as Float32Array) },
      ]),
    );
    await saveSafetensors(join(outDir, 'init.safetensors'), tensors, { format: 'osmosis-mamt' });
    await writeFile(
      join(outDir, 'mamt.json'),
      `${JSON.stringify({ meta: cfg.meta, envId: experiment.env.id, target: experiment.env.options, family: cfg.family, policy: cfg.policy }, null, 2)}\n`,
    );

    const timeSeries: TimeSeries[] =
      result.history.length === 0
        ? []
        : [
            {
              name: 'meta-training',
              yLabel: 'mean return (x: meta-iteration)',
              steps: result.history.map((h) => h.iteration),
              series: {
                'before adapting': result.history.map((h) => h.before),
                'after adapting': result.history.map((h) => h.after),
              },
            },
          ];
    return {
      episodes: result.episodes,
      checkpointDir: outDir,
      extra: {
        returnsByStep: result.returnsByStep,
        metaEnvSteps: result.metaEnvSteps,
        metaIterations: result.history.length,
        timeSeries,
      },
    };
  },
});
