import { OsmosisError } from '../core/errors.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { inspectCommand } from './inspect.js';
import { lmCommand } from './lm.js';
import { processIO, type Command, type CommandIO } from './io.js';
import { reportCommand } from './report.js';
import { resultsCommand } from './results.js';
import { rlCommand } from './rl.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';

const commands: Command[] = [
  {
    name: 'demo',
    summary: 'run the main job: CartPole transfer by A2T and fine-tuning against scratch, 5 seeds',
    run: demoCommand,
  },
  {
    name: 'bench',
    summary:
      'run a benchmark (gemm, gpt-step, lora-step, generate, mlp-step, env-cartpole, env-spread)',
    run: benchCommand,
  },
  {
    name: 'run',
    summary: 'run an experiment config (experiments/*.yaml) over seeds, in parallel',
    run: runCommand,
  },
  {
    name: 'report',
    summary: 'render a run folder as Markdown and HTML with plots',
    run: reportCommand,
  },
  {
    name: 'results',
    summary: 'docs/results.md from the bundled experiments (--run-missing runs them first)',
    run: resultsCommand,
  },
  {
    name: 'lm',
    summary: 'run a language-model transfer experiment (experiments/lm/lm-*.yaml)',
    run: lmCommand,
  },
  { name: 'runs', summary: 'list, show and compare runs from the run index', run: runsCommand },
  {
    name: 'rl',
    summary: 'train and evaluate RL agents (rl train / rl eval / rl list)',
    run: rlCommand,
  },
  {
    name: 'inspect',
    summary: 'list the tensors and metadata of a safetensors file',
    run: inspectCommand,
  },
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: osmosis <command> [options]',
    '',
    'Osmosis: transfer learning across language models and multi-agent systems.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `osmosis <command> --help` for the options of a command.',
    'Environment: OSMOSIS_BACKEND=wasm|blas|js picks the kernel backend (default wasm),',
    'OSMOSIS_THREADS=N its threads (experiment workers: the cores divided by the workers).',
    '',
  ].join('\n');
}

/** Entry point of the `osmosis` binary; returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${await packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`osmosis: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // Expected failures (bad input, bad files) get one line; anything else is a bug: show it all.
    if (err instanceof OsmosisError) {
      io.stderr(`osmosis ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { findPackageRoot } = await import('../util/package-root.js');
  const pkg = JSON.parse(await readFile(`${findPackageRoot()}/package.json`, 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
