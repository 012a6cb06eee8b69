/**
 * What K inner policy-gradient steps do to the return, measured with little noise: for each
 * trial, K steps θ_{k+1} = θ_k − α∇L(θ_k) (pg.ts, the inner loss every MAMT method uses), each
 * on a fresh support batch of E episodes, then θ_0 and θ_K each play the same M evaluation
 * episodes (the same reset seeds: common random numbers, since an episode's team return in
 * Spread varies mostly with the initial positions). Reports, per (E, α), R(θ_K) and the paired
 * improvement R(θ_K) − R(θ_0) over trials: mean, 95% t interval and standard deviation. Also the
 * tool for sweeping a baseline's adaptation rate from its saved initialisation.
 *
 * Usage: npx tsx scripts/mamt-inner-improvement.ts <mamt.json config of a run's job | -> \
 *          [init.safetensors | scratch] [episodes=10,20,40] [lrs=0.3,1,3] [trials=20] [eval=50]
 * With '-' the target is SimpleSpread-v3 3x3 in the mamt-spread family; with a job's mamt.json
 * its env, target and family are used. Env options override: OPTS='{"numAgents":2}'; the discount
 * GAMMA (default 0.95, as the mamt-spread experiments); K is STEPS (default 1).
 */
import { readFileSync } from 'node:fs';
import { Generator, loadSafetensorsSync, Tensor } from '../src/core/index.js';
import { loadRlRegistries } from '../src/experiments/rl-registries.js';
import {
  buildProblem,
  familySchema,
  mamtSchema,
  policyGradient,
  readParams,
  writeParams,
} from '../src/transfer/mamt/index.js';

const [cfgPath = '-', initPath = 'scratch', epArg = '10,20,40', lrArg = '0.3,1,3'] =
  process.argv.slice(2);
const trials = Number(process.argv[6] ?? 20);
const evalEpisodes = Number(process.argv[7] ?? 50);
/** K: inner steps before the evaluation (each on a fresh support batch). */
const steps = Number(process.env.STEPS ?? 1);

await loadRlRegistries();
const job =
  cfgPath === '-'
    ? {
        envId: 'SimpleSpread-v3',
        target: { numAgents: 3, numLandmarks: 3 },
        family: {
          vary: { numAgents: { choices: [2, 3, 4] }, numLandmarks: { choices: [2, 3, 4] } },
        },
        policy: {},
      }
    : (JSON.parse(readFileSync(cfgPath, 'utf8')) as {
        envId: string;
        target: Record<string, unknown>;
        family: unknown;
        policy: unknown;
      });
const target = { ...job.target, ...(process.env.OPTS ? JSON.parse(process.env.OPTS) : {}) };
const cfg = mamtSchema.parse({
  meta: 'none',
  family: familySchema.parse(job.family),
  policy: job.policy,
  // The experiments' discount (mamt-spread*: 0.95); GAMMA overrides.
  gamma: Number(process.env.GAMMA ?? 0.95),
});
const problem = buildProblem(job.envId, target, cfg.family, cfg);
const policy = problem.makePolicy(new Generator(0));
if (initPath !== 'scratch') {
  const file = loadSafetensorsSync(initPath);
  const sd = new Map<string, Tensor>();
  for (const [name, e] of file.tensors) {
    const data = new Float32Array(Uint8Array.from(e.data).buffer);
    sd.set(name, new Tensor(data, e.shape));
  }
  policy.loadStateDict(sd);
}
const theta = readParams(policy);
const evalEnvs = problem.makeEnvs(target, evalEpisodes);

function evaluate(params: Float64Array, seed: number): number {
  writeParams(policy, params);
  const b = evalEnvs.collect(policy, new Generator(seed), cfg.gamma);
  return b.episodes.reduce((s, e) => s + e.return, 0) / b.episodes.length;
}

function stats(xs: number[]): string {
  const n = xs.length;
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  // t quantile 0.975 for n-1 dof, close enough for n >= 10 (2.09 at 19 dof).
  const t = n >= 30 ? 2.045 : n >= 20 ? 2.093 : 2.262;
  const h = (t * sd) / Math.sqrt(n);
  return `${m.toFixed(2)} [${(m - h).toFixed(2)}, ${(m + h).toFixed(2)}] sd ${sd.toFixed(2)}`;
}

console.log(
  `${job.envId} ${JSON.stringify(target)} from ${initPath}: ${trials} trials, eval ${evalEpisodes} episodes`,
);
for (const E of epArg.split(',').map(Number)) {
  const support = problem.makeEnvs(target, E);
  for (const lr of lrArg.split(',').map(Number)) {
    const rng = new Generator(1234);
    const gains: number[] = [];
    const base: number[] = [];
    const after: number[] = [];
    for (let t = 0; t < trials; t++) {
      let next = theta;
      for (let k = 0; k < steps; k++) {
        writeParams(policy, next);
        const g = policyGradient(policy, support.collect(policy, rng, cfg.gamma), cfg).grad;
        next = next.map((v, j) => v - lr * g[j]);
      }
      const seed = rng.int(2 ** 31);
      const r0 = evaluate(theta, seed);
      const rK = evaluate(next, seed);
      gains.push(rK - r0);
      base.push(r0);
      after.push(rK);
    }
    console.log(
      `E=${E} lr=${lr}: R(θ) ${stats(base)}; R(θ_K) ${stats(after)}; R(θ_K)−R(θ) ${stats(gains)}`,
    );
  }
  support.close();
}
evalEnvs.close();
