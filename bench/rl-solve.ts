/**
 * Does each learner solve CartPole-v1 with its tuned defaults? For every algorithm and seed this
 * runs the real CLI in a child process, as a user would, with the CLI's defaults (periodic
 * evaluation on, with the pair's tuned interval and episodes: dqn every 2500 steps, ppo every
 * 5000, 20 episodes each; `rl eval` loads the run folder's best checkpoint):
 *
 *   osmosis rl train --algo A --env CartPole-v1 --seed S --out runs/rl-solve/A-seedS --json
 *   osmosis rl eval --checkpoint runs/rl-solve/A-seedS --episodes 100 --json           (best)
 *   osmosis rl eval --checkpoint runs/rl-solve/A-seedS --episodes 100 --final --json   (final)
 *
 * and writes bench/results/rl-cartpole-A-seedS.json: the training summary with its periodic
 * evaluations, env steps to solve (the first periodic evaluation with mean >= the env's reward
 * threshold, 475), the wall and CPU seconds of the training process, the load average around it
 * (the machine is shared: wall time depends on it) and both 100-episode evaluations. Runs are
 * sequential. At the end it prints a Markdown table over every result file present.
 *
 *   npx tsx bench/rl-solve.ts [--algos dqn,ppo] [--seeds 1-5]
 *   npx tsx bench/rl-solve.ts --algos ppo --variant NAME --hyperparams k=v ...
 *
 * A variant trains with `--hyperparams` over the tuned defaults (to compare a recipe change) and
 * writes rl-cartpole-A_NAME-seedS.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ENV = 'CartPole-v1';
/** Gymnasium's reward_threshold for CartPole-v1 (our registry's rewardThreshold). */
const THRESHOLD = 475;
const RESULTS = 'bench/results';

// The CLI from source: main() as bin/osmosis.js calls it, plus this process's CPU seconds
// (every thread, kernel workers included) on the last stderr line.
const CLI = `const m = await import('./src/cli/main.ts');
const code = await m.main(process.argv.slice(1));
const u = process.cpuUsage();
process.stderr.write('\\ncpu-seconds ' + (u.user + u.system) / 1e6 + '\\n');
process.exitCode = code;`;

interface CliRun {
  json: Record<string, unknown>;
  wallSeconds: number;
  cpuSeconds: number;
}

function osmosis(args: string[]): CliRun {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', CLI, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    throw new Error(`osmosis ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-2000)}`);
  }
  const cpu = /cpu-seconds ([\d.]+)\s*$/.exec(r.stderr);
  return {
    json: JSON.parse(r.stdout) as Record<string, unknown>,
    wallSeconds,
    cpuSeconds: cpu ? Number(cpu[1]) : NaN,
  };
}

function seedList(text: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (m) {
    const out: number[] = [];
    for (let s = Number(m[1]); s <= Number(m[2]); s++) out.push(s);
    return out;
  }
  return text.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--seeds: bad seed '${s}'`);
    return n;
  });
}

interface Evaluation {
  globalStep: number;
  meanReturn: number;
  stdReturn: number;
  best: boolean;
  seconds: number;
}

function evalSummary(json: Record<string, unknown>) {
  return { meanReturn: json.meanReturn as number, stdReturn: json.stdReturn as number, json };
}

interface Variant {
  name: string | undefined;
  hyperparams: string[];
}

function runOne(algo: string, seed: number, variant: Variant): Record<string, unknown> {
  const label = variant.name ? `${algo}_${variant.name}` : algo;
  const out = join('runs', 'rl-solve', `${label}-seed${seed}`);
  const overrides = variant.hyperparams.length > 0 ? ['--hyperparams', ...variant.hyperparams] : [];
  const loadBefore = loadavg();
  const train = osmosis([
    'rl',
    'train',
    '--algo',
    algo,
    '--env',
    ENV,
    '--seed',
    String(seed),
    '--out',
    out,
    '--quiet',
    '--json',
    ...overrides,
  ]);
  const loadAfter = loadavg();
  const evaluations = train.json.evaluations as Evaluation[];
  const solved = evaluations.find((e) => e.meanReturn >= THRESHOLD);
  const best = osmosis(['rl', 'eval', '--checkpoint', out, '--episodes', '100', '--json']);
  if (best.json.best !== true) throw new Error(`rl eval ${out} did not load ${out}/best`);
  const final = osmosis([
    'rl',
    'eval',
    '--checkpoint',
    out,
    '--episodes',
    '100',
    '--final',
    '--json',
  ]);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
    hyperparams: unknown;
  };
  return {
    benchmark: 'rl-cartpole',
    generator: 'bench/rl-solve.ts',
    algo,
    variant: variant.name ?? null,
    overrides: variant.hyperparams,
    envId: ENV,
    seed,
    totalSteps: train.json.totalSteps,
    hyperparams: config.hyperparams,
    evaluation: train.json.evaluation,
    threshold: THRESHOLD,
    stepsToSolve: solved ? solved.globalStep : null,
    // Wall seconds of training (periodic evaluations included) up to that evaluation.
    secondsToSolve: solved ? solved.seconds : null,
    trainWallSeconds: train.wallSeconds,
    trainCpuSeconds: train.cpuSeconds,
    trainSeconds: train.json.seconds,
    loadAverage: { before: loadBefore, after: loadAfter },
    date: new Date().toISOString(),
    node: process.version,
    final: evalSummary(final.json),
    best: {
      ...evalSummary(best.json),
      globalStep: evaluations.filter((e) => e.best).at(-1)?.globalStep ?? null,
    },
    train: train.json,
  };
}

const fmt = (x: number, d = 1) => x.toFixed(d);

function table(): string {
  const rows = readdirSync(RESULTS)
    .filter((f) => /^rl-cartpole-\w+-seed\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(RESULTS, f), 'utf8')) as Record<string, never>)
    .sort((a, b) => {
      const ka = `${a.algo} ${a.variant ?? ''}`;
      const kb = `${b.algo} ${b.variant ?? ''}`;
      return ka === kb ? a.seed - b.seed : ka < kb ? -1 : 1;
    });
  const lines = [
    '| algo | seed | steps to solve | wall s to solve | train wall s | train CPU s | load (1 min) | final eval | best eval (step) |',
    '| ---- | ---: | -------------: | --------------: | -----------: | ----------: | -----------: | ---------- | ---------------- |',
  ];
  for (const r of rows) {
    const f = r.final as { meanReturn: number; stdReturn: number };
    const b = r.best as { meanReturn: number; stdReturn: number; globalStep: number | null };
    const load = r.loadAverage as { before: number[]; after: number[] };
    lines.push(
      `| ${r.algo}${r.variant ? ` (${r.variant})` : ''} | ${r.seed} | ${r.stepsToSolve ?? 'not solved'} | ` +
        `${r.secondsToSolve === undefined ? '—' : r.secondsToSolve === null ? '-' : fmt(r.secondsToSolve)} | ${fmt(r.trainWallSeconds)} | ` +
        `${fmt(r.trainCpuSeconds)} | ${fmt(load.before[0])}-${fmt(load.after[0])} | ` +
        `${fmt(f.meanReturn)} ± ${fmt(f.stdReturn)} | ${fmt(b.meanReturn)} ± ${fmt(b.stdReturn)} (${b.globalStep}) |`,
    );
  }
  return lines.join('\n');
}

const { values } = parseArgs({
  options: {
    algos: { type: 'string', default: 'dqn,ppo' },
    seeds: { type: 'string', default: '1-5' },
    'table-only': { type: 'boolean', default: false },
    variant: { type: 'string' },
    hyperparams: { type: 'string', multiple: true, default: [] },
  },
});
if (values.variant !== undefined && !/^\w+$/.test(values.variant)) {
  throw new Error(`--variant: letters, digits and _ only, got '${values.variant}'`);
}
const variant: Variant = { name: values.variant, hyperparams: values.hyperparams };
if (!values['table-only']) {
  mkdirSync(RESULTS, { recursive: true });
  for (const algo of values.algos.split(',')) {
    for (const seed of seedList(values.seeds)) {
      const result = runOne(algo, seed, variant);
      const label = variant.name ? `${algo}_${variant.name}` : algo;
      const file = join(RESULTS, `rl-cartpole-${label}-seed${seed}.json`);
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      const f = result.final as { meanReturn: number };
      const b = result.best as { meanReturn: number };
      console.log(
        `${algo} seed ${seed}: solved at ${result.stepsToSolve ?? '-'}, final ${fmt(f.meanReturn)}, ` +
          `best ${fmt(b.meanReturn)}, ${fmt(result.trainWallSeconds as number)} s wall -> ${file}`,
      );
    }
  }
}
console.log(table());
