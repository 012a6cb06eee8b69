import { parseArgs } from 'node:util';
import { runEnvCartPole, runEnvSpread } from '../../bench/env.js';
import { runGemm } from '../../bench/gemm.js';
import { runGenerate } from '../../bench/generate.js';
import { runGptStep } from '../../bench/gpt-step.js';
import { peakRssMb } from '../../bench/harness.js';
import { runLoraStep } from '../../bench/lora-step.js';
import { runMlpStep } from '../../bench/mlp-step.js';
import { parseBackendName } from '../core/backend/index.js';
import { useBackend } from '../core/backend/select.js';
import { ValueError } from '../core/errors.js';
import type { CommandIO } from './io.js';

const USAGE = `Usage: osmosis bench <name> [--backend wasm|blas|js] [--threads N] [--steps N] [--warmup N] [--no-scope] [--json]

Benchmarks (each has a PyTorch twin under bench/pytorch/; docs/benchmarks.md has the ratios):
  gemm      float32 matrix products at 256/512/1024 (plus transposed variants): GFLOP/s
  gpt-step  one training step of a small GPT (d_model 256, 4 layers, seq 128, batch 8): ms
  lora-step LoRA r=8 step vs the frozen base's forward+backward, gpt-step model: ms and ratio
  generate  greedy generation, 32-token prompt + 128 new, batch 1, with and without KV cache: tokens/s
  mlp-step  one training step of a 4-64-64-2 tanh MLP, batch 64, MSE, Adam: microseconds
  env-cartpole  CartPole-v1 steps/s, random actions, one thread (twin: bench/python/env_speed.py)
  env-spread    SimpleSpread-v3 agent-steps/s through the ParallelEnv API, one thread

Options:
  --backend   kernel backend (default: OSMOSIS_BACKEND or wasm)
  --threads   threads for the kernels (default: all cores)
  --steps     timed steps (gpt-step 10, lora-step 10 pairs, generate 5 pairs, mlp-step 2000, gemm repeats 10)
  --warmup    untimed steps first
  --no-scope  mlp-step only: run each step outside a memoryScope (fresh buffers, no pool reuse)
  --json      print one JSON object on stdout
`;

const benches = {
  gemm: (o: { steps?: number }) => runGemm({ repeats: o.steps }),
  'gpt-step': runGptStep,
  'lora-step': runLoraStep,
  generate: runGenerate,
  'mlp-step': runMlpStep,
  'env-cartpole': runEnvCartPole,
  'env-spread': runEnvSpread,
} as const;

export async function benchCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      backend: { type: 'string' },
      threads: { type: 'string' },
      steps: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-scope': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    io.stdout(USAGE);
    return values.help ? 0 : 2;
  }
  const name = positionals[0];
  if (!(name in benches))
    throw new ValueError(
      `unknown benchmark '${name}'; choose one of ${Object.keys(benches).join(', ')}`,
    );
  const int = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new ValueError(`--${flag} must be a positive integer, got '${v}'`);
    return n;
  };
  const backendName = parseBackendName(
    values.backend ?? process.env.OSMOSIS_BACKEND ?? 'wasm',
    '--backend',
  );
  const backend = await useBackend(backendName, { threads: int('threads', values.threads) });
  const result = benches[name as keyof typeof benches]({
    steps: int('steps', values.steps),
    warmup: int('warmup', values.warmup),
    scope: !values['no-scope'],
  });
  const record = {
    name,
    backend: backend.name,
    threads: backend.threads,
    ...result,
    peakRssMb: peakRssMb(),
    node: process.version,
  };
  if (values.json) io.stdout(`${JSON.stringify(record)}\n`);
  else io.stdout(formatRecord(record));
  return 0;
}

function formatRecord(r: Record<string, unknown>): string {
  const lines = [`${r.name} on ${r.backend} (${r.threads} thread${r.threads === 1 ? '' : 's'})`];
  if (Array.isArray(r.results)) {
    for (const g of r.results as {
      size: number;
      transA: boolean;
      transB: boolean;
      medianMs: number;
      gflops: number;
    }[]) {
      const op = `${g.transA ? 'Aᵀ' : 'A'}·${g.transB ? 'Bᵀ' : 'B'}`;
      lines.push(
        `  ${String(g.size).padStart(5)}  ${op.padEnd(6)} ${g.medianMs.toFixed(3).padStart(9)} ms  ${g.gflops.toFixed(1).padStart(7)} GFLOP/s`,
      );
    }
  } else {
    const rate = String(r.unit).endsWith('/s');
    const value = rate
      ? Math.round(r.median as number).toLocaleString('en-US')
      : (r.median as number).toFixed(r.unit === 'us' ? 1 : 2);
    lines.push(`  median ${value} ${r.unit}${rate ? '' : ' per step'}`);
  }
  lines.push(`  peak RSS ${(r.peakRssMb as number).toFixed(0)} MB`);
  return `${lines.join('\n')}\n`;
}
