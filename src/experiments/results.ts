/**
 * `osmosis results`: the bundled experiments (experiments/*.yaml) as one Markdown page,
 * docs/results.md. Each experiment is matched to its newest run of the same config (name and
 * config hash) under the runs folder; with `runMissing`, an experiment without a finished run is
 * resumed (an interrupted run of the same config) or run. Its section holds the description, the
 * metrics table and warnings of `osmosis report` (report.ts) and the run's SVG plots, copied to
 * docs/results/<name>/ so the page stands on its own. The LM experiments (experiments/lm/) follow
 * as one "LM transfer" table read from their `osmosis lm` runs (lm/results.ts).
 */
import * as fs from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { formatDuration } from '../util/progress.js';
import {
  loadRunReport,
  mdTable,
  metricsTable,
  METRICS_NOTE,
  sourceLines,
  warningsOf,
  type RunReport,
} from './report.js';
import { readJobResult, readRunInfo, resultPath, RUN_FILE, type RunInfo } from './run-dir.js';
import { resumeExperiment, runExperiment, type RunOptions } from './runner.js';
import { loadRlRegistries } from './rl-registries.js';
import { lmResultsSection } from './lm/results.js';
import { configHash, loadExperiment, type ResolvedExperiment } from './schema.js';

export interface ResultsOptions {
  /** Folder of the experiment configs (every *.yaml / *.yml in it). */
  experiments: string;
  /** Folder of run folders, as `osmosis run --out`. */
  runs: string;
  /** The Markdown file; plots go to <its folder>/<its name without .md>/<experiment>/. */
  out: string;
  /** Run (or resume) each experiment without a finished run of its current config. */
  runMissing?: boolean;
  /** Passed on to the runner. */
  workers?: number;
  /** Folder of the LM configs (default: `lm` inside `experiments`, when there is one). */
  lmExperiments?: string;
  log?: (s: string) => void;
  tty?: boolean;
}

export interface ExperimentResult {
  name: string;
  file: string;
  /** finished: a finished run is shown; otherwise the section says what is missing. */
  status: 'finished' | 'unfinished' | 'missing';
  runId: string | null;
}

interface Bundled {
  file: string;
  experiment: ResolvedExperiment;
  hash: string;
}

async function listExperiments(dir: string): Promise<Bundled[]> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new ConfigError(`cannot list experiment configs in ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const files = names.filter((f) => /\.ya?ml$/.test(f)).sort();
  if (files.length === 0) throw new ConfigError(`no experiment configs (*.yaml) in ${dir}`);
  await loadRlRegistries();
  const out: Bundled[] = [];
  for (const f of files) {
    const file = join(dir, f);
    const experiment = await loadExperiment(file);
    const clash = out.find((b) => b.experiment.name === experiment.name);
    if (clash) {
      throw new ConfigError(
        `${file}: experiment name '${experiment.name}' is also used by ${clash.file}; results are kept per name`,
      );
    }
    out.push({ file, experiment, hash: configHash(experiment) });
  }
  return out;
}

/** Runs of this config under `root`, newest first. Folders without a readable run.json are skipped. */
async function runsOf(root: string, b: Bundled): Promise<{ dir: string; info: RunInfo }[]> {
  if (!fs.existsSync(root)) return [];
  const found: { dir: string; info: RunInfo }[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const dir = join(root, entry.name);
    if (!entry.isDirectory() || !fs.existsSync(join(dir, RUN_FILE))) continue;
    if (!entry.name.startsWith(`${b.experiment.name}-`)) continue;
    const info = await readRunInfo(dir).catch(() => null);
    if (info && info.name === b.experiment.name && info.configHash === b.hash)
      found.push({ dir, info });
  }
  return found.sort((x, y) => (x.info.createdAt < y.info.createdAt ? 1 : -1));
}

/** "wasm, 1 thread" for each backend the run's finished jobs recorded. */
async function backendsOf(dir: string, info: RunInfo): Promise<string> {
  const seen = new Map<string, number>();
  for (const j of info.jobs.filter((x) => x.status === 'finished')) {
    const r = await readJobResult(resultPath(dir, j.method, j.seed)).catch(() => null);
    const b = r?.backend;
    const build = b?.simd ? ` (${b.simd} SIMD build)` : '';
    const key = b
      ? `${b.name}${build}, ${b.threads} thread${b.threads === 1 ? '' : 's'}`
      : 'not recorded';
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].map(([k, n]) => (seen.size > 1 ? `${k} (${n} jobs)` : k)).join('; ');
}

const link = (from: string, to: string): string => relative(from, to).split('\\').join('/');

async function runSection(
  b: Bundled,
  dir: string,
  report: RunReport,
  outFile: string,
  plotsDir: string,
): Promise<string[]> {
  const { info, summary } = report;
  const base = dirname(outFile);
  const wall =
    info.finishedAt === null
      ? '—'
      : formatDuration((Date.parse(info.finishedAt) - Date.parse(info.startedAt)) / 1000);
  const jobSeconds = info.jobs.reduce((s, j) => s + (j.seconds ?? 0), 0);
  const parts = [
    `- run \`${info.id}\` (git commit ${info.gitCommit?.slice(0, 10) ?? '—'}), ${info.jobs.length} jobs over ${b.experiment.seeds.length} seeds`,
    `- wall time ${wall}${info.attempts > 1 ? ` (the last of ${info.attempts} attempts)` : ''}; ${formatDuration(jobSeconds)} in jobs; kernels: ${await backendsOf(dir, info)}`,
    '',
  ];
  if (summary) parts.push(mdTable(metricsTable(summary)), '');
  const sources = sourceLines(summary);
  if (sources.length > 0) parts.push(...sources.map((l) => `- ${l}`), '');
  const { negative, notes } = warningsOf(summary);
  for (const w of negative) parts.push(`> **Warning:** ${w}`, '');
  if (notes.length > 0) parts.push(...notes.map((w) => `- note: ${w}`), '');
  // The run's plots replace whatever an older run left in the experiment's folder.
  fs.rmSync(plotsDir, { recursive: true, force: true });
  if (report.plots.length > 0) fs.mkdirSync(plotsDir, { recursive: true });
  for (const p of report.plots) {
    const target = join(plotsDir, basename(p.path));
    await writeFileAtomic(target, p.svg);
    parts.push(`![${basename(p.path, '.svg')}](${link(base, target)})`, '');
  }
  return parts;
}

/** Run what is missing (if asked) and write the results page; returns each experiment's state. */
export async function generateResults(options: ResultsOptions): Promise<ExperimentResult[]> {
  const log = options.log ?? ((): void => undefined);
  const out = resolve(options.out);
  const runsRoot = resolve(options.runs);
  const plotsRoot = join(dirname(out), basename(out, extname(out)));
  const bundled = await listExperiments(resolve(options.experiments));
  const runOptions: RunOptions = {
    out: runsRoot,
    log,
    ...(options.tty !== undefined ? { tty: options.tty } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
  };
  const results: ExperimentResult[] = [];
  const sections: string[] = [];
  for (const b of bundled) {
    const { name } = b.experiment;
    let runs = await runsOf(runsRoot, b);
    let finished = runs.find((r) => r.info.status === 'finished');
    if (!finished && options.runMissing) {
      const interrupted = runs[0];
      log(`\n== ${name}: ${interrupted ? `resuming ${interrupted.info.id}` : 'running'}\n`);
      if (interrupted) await resumeExperiment(interrupted.dir, runOptions);
      else await runExperiment(b.file, runOptions);
      runs = await runsOf(runsRoot, b);
      finished = runs.find((r) => r.info.status === 'finished');
    }
    const shown = finished ?? runs[0];
    const status = finished ? 'finished' : runs.length > 0 ? 'unfinished' : 'missing';
    results.push({ name, file: b.file, status, runId: shown?.info.id ?? null });
    const parts = [`## ${name}`, '', b.experiment.description?.trim() ?? '(no description)', ''];
    parts.push(`- config: [${basename(b.file)}](${link(dirname(out), b.file)})`);
    if (!finished) {
      parts.push(
        status === 'missing'
          ? '- **not run yet**: `osmosis results --run-missing` runs it'
          : `- **unfinished**: run \`${shown!.info.id}\` is ${shown!.info.status}; \`osmosis results --run-missing\` resumes it`,
        '',
      );
      fs.rmSync(join(plotsRoot, name), { recursive: true, force: true });
    } else {
      const report = await loadRunReport(finished.dir);
      parts.push(...(await runSection(b, finished.dir, report, out, join(plotsRoot, name))));
    }
    sections.push(parts.join('\n'));
  }
  const page = [
    '# Results of the bundled experiments',
    '',
    `Generated by \`osmosis results\` (\`npm run results\`) from the configs in ${link(dirname(out), resolve(options.experiments))}/ and their newest finished runs; do not edit by hand. Rerun it after changing a config: \`osmosis results --run-missing\` runs each experiment whose current config has no finished run (or resumes an interrupted one), then rewrites this page and the plots beside it. Times are those of the machine that made each run, under its load at the time; "in jobs" adds up the jobs' own times (jobs run in parallel).`,
    '',
    `_${METRICS_NOTE} Negative transfer is flagged when the interval of the AUC ratio or of the asymptotic difference lies entirely below 0._`,
    '',
    mdTable({
      head: ['experiment', 'run', 'status'],
      rows: results.map((r) => [
        `[${r.name}](#${r.name.toLowerCase().replace(/[^a-z0-9_-]/g, '')})`,
        r.runId ?? '—',
        r.status,
      ]),
    }),
    '',
    ...sections,
  ].join('\n');
  const lmDir = resolve(options.lmExperiments ?? join(options.experiments, 'lm'));
  const lm = fs.existsSync(lmDir) ? await lmResultsSection(lmDir, runsRoot) : null;
  fs.mkdirSync(dirname(out), { recursive: true });
  // One blank line between the sections, so the page is already in Prettier's form.
  const body = [page.replace(/\n+$/, ''), ...(lm ? [lm.lines.join('\n')] : [])].join('\n\n');
  await writeFileAtomic(out, `${body.replace(/\n+$/, '')}\n`);
  return results;
}
