import { parseArgs } from 'node:util';
import { argmax, crossEntropy, Generator, noGrad, Tensor } from '../core/index.js';
import { ValueError } from '../core/errors.js';
import { initDefaultBackend } from '../core/backend/select.js';
import { MLP } from '../nn/index.js';
import { Adam } from '../optim/index.js';
import { ProgressBar } from '../util/progress.js';
import type { CommandIO } from './io.js';

const USAGE = `Usage: osmosis demo [--seeds N] [--json]

A small transfer-learning experiment on the engine alone: an MLP classifier is pretrained on a
source task (3-arm spirals, 3,000 points), then transferred to a related target task (spirals
rotated by 15 degrees with wider arms) that has only 12 labelled points. Three ways to learn the
target are compared over several seeds on 3,000 held-out target points: from scratch, by
fine-tuning the pretrained network, and by retraining only the head on top of the frozen pretrained body.

Options:
  --seeds N   seeds per method (default 5)
  --json      print the results as JSON on stdout
`;

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

function meanCi(values: number[]): { mean: number; ci95: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0 };
}

export async function demoCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const seeds = Number(values.seeds);
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new ValueError(`--seeds must be a positive integer, got '${values.seeds}'`);
  const backend = await initDefaultBackend();
  const log = (s: string): void => (values.json ? io.stderr(s) : io.stdout(s));
  log(`Osmosis demo: transfer between related classification tasks (backend ${backend.name})\n`);

  const sourceSteps = 600;
  const targetSteps = 100;
  const rng = new Generator(1234);
  const source = spirals(3000, 0, 0.1, rng);
  const targetTest = spirals(3000, (15 * Math.PI) / 180, 0.2, new Generator(99));
  const results: Record<string, number[]> = { scratch: [], fineTune: [], frozenBody: [] };
  const bar = new ProgressBar({
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
  bar.finish();

  const summary = Object.fromEntries(
    Object.entries(results).map(([k, v]) => [k, { ...meanCi(v), perSeed: v }]),
  );
  if (values.json) {
    io.stdout(`${JSON.stringify({ seeds, sourceSteps, targetSteps, targetAccuracy: summary })}\n`);
    return 0;
  }
  io.stdout(`\nTarget-task accuracy on 3,000 held-out points (${seeds} seeds, mean ± 95% CI):\n`);
  const names: Record<string, string> = {
    scratch: 'from scratch',
    fineTune: 'fine-tuned from source',
    frozenBody: 'frozen body, head retrained',
  };
  for (const [k, s] of Object.entries(summary)) {
    io.stdout(
      `  ${names[k].padEnd(32)} ${(100 * s.mean).toFixed(1)}% ± ${(100 * s.ci95).toFixed(1)}\n`,
    );
  }
  const gain = summary.fineTune.mean - summary.scratch.mean;
  io.stdout(
    `\nTransfer gain of fine-tuning over scratch: ${(100 * gain).toFixed(1)} points${gain < 0 ? ' (negative transfer!)' : ''}\n`,
  );
  return 0;
}
