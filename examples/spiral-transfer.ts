/**
 * Supervised transfer on the engine alone: an MLP classifier is pretrained on a source task
 * (3-arm spirals, 3,000 points), then transferred to a related target (spirals rotated by 15
 * degrees with wider arms) that has only 12 labelled points. Three ways to learn the target are
 * compared over seeds on 3,000 held-out target points: from scratch, fine-tuning the pretrained
 * network, and retraining only the head on the frozen pretrained body. (The RL transfer
 * experiments are `osmosis demo` and experiments/*.yaml.)
 *
 *   npx tsx examples/spiral-transfer.ts        # 5 seeds
 *   npx tsx examples/spiral-transfer.ts 2      # 2 seeds
 */
import { pathToFileURL } from 'node:url';
import { argmax, crossEntropy, Generator, noGrad, Tensor } from '../src/core/index.js';
import { initDefaultBackend } from '../src/core/backend/select.js';
import { MLP } from '../src/nn/index.js';
import { Adam } from '../src/optim/index.js';
import { ProgressBar } from '../src/util/progress.js';

interface Task {
  x: Tensor;
  y: Tensor;
}

/** 3-arm spirals in 2-D: class k is arm k; rotation and noise make related but different tasks. */
function spirals(n: number, rotation: number, noise: number, rng: Generator): Task {
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(3);
    const r = rng.uniform();
    const angle = k * ((2 * Math.PI) / 3) + 3 * r + rotation + rng.normal(0, noise);
    x[2 * i] = r * Math.cos(angle);
    x[2 * i + 1] = r * Math.sin(angle);
    y[i] = k;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n]) };
}

function train(
  model: MLP,
  task: Task,
  steps: number,
  lr: number,
  params = model.parameters(),
  bar?: ProgressBar,
): void {
  const optimizer = new Adam(params, { lr });
  for (let s = 0; s < steps; s++) {
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(task.x), task.y);
    loss.backward();
    optimizer.step();
    bar?.tick(1, { loss: loss.item() });
  }
}

function accuracy(model: MLP, task: Task): number {
  return noGrad(() => {
    const pred = argmax(model.forward(task.x), 1);
    let hits = 0;
    for (let i = 0; i < task.y.size; i++) if (pred.data[i] === task.y.data[i]) hits++;
    return hits / task.y.size;
  });
}

export function meanCi(values: number[]): { mean: number; ci95: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0 };
}

export interface SpiralTransferOptions {
  seeds?: number;
  /** Gradient steps on the source and on the target (defaults 600 and 100). */
  sourceSteps?: number;
  targetSteps?: number;
  /** Labelled source points and held-out target points (default 3,000 each). */
  points?: number;
  quiet?: boolean;
}

type Way = 'scratch' | 'fineTune' | 'frozenBody';

export interface SpiralTransferResult {
  /** Target accuracy per way: per seed, and the mean with a normal 95% half-width. */
  targetAccuracy: Record<Way, { mean: number; ci95: number; perSeed: number[] }>;
}

export function main(options: SpiralTransferOptions = {}): SpiralTransferResult {
  const seeds = options.seeds ?? 5;
  const sourceSteps = options.sourceSteps ?? 600;
  const targetSteps = options.targetSteps ?? 100;
  const rng = new Generator(1234);
  const points = options.points ?? 3000;
  const source = spirals(points, 0, 0.1, rng);
  const targetTest = spirals(points, (15 * Math.PI) / 180, 0.2, new Generator(99));
  const results: Record<Way, number[]> = { scratch: [], fineTune: [], frozenBody: [] };
  const bar = options.quiet
    ? undefined
    : new ProgressBar({
        total: seeds * (sourceSteps + 3 * targetSteps),
        label: 'training',
        unit: 'steps',
      });
  for (let seed = 0; seed < seeds; seed++) {
    const seedRng = new Generator(seed);
    const targetTrain = spirals(12, (15 * Math.PI) / 180, 0.2, seedRng.spawn());
    const pretrained = new MLP([2, 64, 64, 3], { activation: 'tanh', rng: seedRng.spawn() });
    train(pretrained, source, sourceSteps, 1e-2, undefined, bar);
    const snapshot = pretrained.stateDict();

    const scratch = new MLP([2, 64, 64, 3], { activation: 'tanh', rng: seedRng.spawn() });
    train(scratch, targetTrain, targetSteps, 1e-2, undefined, bar);
    results.scratch.push(accuracy(scratch, targetTest));

    const fine = new MLP([2, 64, 64, 3], { activation: 'tanh', rng: seedRng.spawn() });
    fine.loadStateDict(snapshot);
    train(fine, targetTrain, targetSteps, 3e-3, undefined, bar);
    results.fineTune.push(accuracy(fine, targetTest));

    const frozen = new MLP([2, 64, 64, 3], { activation: 'tanh', rng: seedRng.spawn() });
    frozen.loadStateDict(snapshot);
    const head = frozen.get(4);
    for (const p of frozen.parameters()) p.requiresGrad = false;
    for (const p of head.parameters()) p.requiresGrad = true;
    train(frozen, targetTrain, targetSteps, 1e-2, head.parameters(), bar);
    results.frozenBody.push(accuracy(frozen, targetTest));
  }
  bar?.finish();
  const targetAccuracy = Object.fromEntries(
    Object.entries(results).map(([k, v]) => [k, { ...meanCi(v), perSeed: v }]),
  ) as SpiralTransferResult['targetAccuracy'];
  if (!options.quiet) {
    console.log(`Target accuracy on ${points} held-out points (${seeds} seeds, mean ± 95% CI):`);
    const names: Record<Way, string> = {
      scratch: 'from scratch',
      fineTune: 'fine-tuned from source',
      frozenBody: 'frozen body, head retrained',
    };
    for (const [k, s] of Object.entries(targetAccuracy) as [Way, { mean: number; ci95: number }][])
      console.log(
        `  ${names[k].padEnd(32)} ${(100 * s.mean).toFixed(1)}% ± ${(100 * s.ci95).toFixed(1)}`,
      );
  }
  return { targetAccuracy };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await initDefaultBackend(); // the wasm kernels when built
  main({ seeds: process.argv[2] ? Number(process.argv[2]) : undefined });
}
