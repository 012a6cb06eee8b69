import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { formatEstimate } from '../experiments/report.js';
import { KEY_METRICS, RunIndex, type MetricRow } from '../experiments/run-index.js';
import type { CommandIO } from './io.js';

const USAGE = `Usage: osmosis runs list [--json]
       osmosis runs show <id> [--json]
       osmosis runs compare <id> <id> ... [--json]

Queries the run index (<dir>/index.sqlite, written by \`osmosis run\`).
  list      every run: id, name, status, created, git commit
  show      one run: its details, jobs and summary metrics
  compare   key metrics of several runs side by side: final return, jumpstart, asymptotic
            difference, AUC ratio and time-to-threshold ratio per method, with 95% CIs

Options:
  --dir DIR   the runs folder (default: runs)
  --json      machine-readable output on stdout
A run may be named by its id or by its folder (runs/<id>).
`;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return `${[line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}

function cell(row: MetricRow | undefined): string {
  if (!row || row.mean === null) return '—';
  return formatEstimate(
    {
      mean: row.mean,
      lower: row.lower,
      upper: row.upper,
      n: row.n ?? 0,
      std: 0,
      level: 0.95,
      method: 't',
    },
    row.metric === 'auc_ratio',
  );
}

export async function runsCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub, ...ids] = positionals;
  if (values.help || !sub) {
    io.stdout(USAGE);
    return values.help ? 0 : 2;
  }
  const root = resolve(values.dir ?? 'runs');
  const path = join(root, 'index.sqlite');
  if (!existsSync(path))
    throw new ConfigError(`no run index at ${path}; run \`osmosis run\` first or pass --dir`);
  const index = RunIndex.open(path);
  try {
    const idOf = (s: string): string => {
      const id = existsSync(join(s, 'run.json')) ? basename(resolve(s)) : s;
      if (!index.getRun(id)) throw new ConfigError(`no run '${s}' in ${path}`);
      return id;
    };
    switch (sub) {
      case 'list': {
        const runs = index.listRuns();
        if (values.json) io.stdout(`${JSON.stringify(runs)}\n`);
        else if (runs.length === 0) io.stdout(`no runs in ${path}\n`);
        else {
          io.stdout(
            table(
              ['id', 'name', 'status', 'created', 'commit'],
              runs.map((r) => [
                r.id,
                r.name,
                r.status,
                r.createdAt,
                r.gitCommit?.slice(0, 10) ?? '—',
              ]),
            ),
          );
        }
        return 0;
      }
      case 'show': {
        if (ids.length !== 1) throw new ConfigError('runs show takes one run id');
        const id = idOf(ids[0]);
        const run = index.getRun(id)!;
        const jobs = index.jobs(id);
        const metrics = index.metrics(id);
        if (values.json) {
          io.stdout(`${JSON.stringify({ run, jobs, metrics })}\n`);
          return 0;
        }
        io.stdout(
          `run ${run.id}\n  name ${run.name}\n  status ${run.status} (attempts ${run.attempts})\n` +
            `  created ${run.createdAt}\n  finished ${run.finishedAt ?? '—'}\n  commit ${run.gitCommit ?? '—'}\n` +
            `  config ${run.configHash.slice(0, 16)}\n  folder ${run.runDir}\n\n`,
        );
        io.stdout(
          table(
            ['method', 'seed', 'status', 'seconds', 'error'],
            jobs.map((j) => [
              j.method,
              String(j.seed),
              j.status,
              j.seconds === null ? '—' : j.seconds.toFixed(1),
              (j.error ?? '').split('\n')[0],
            ]),
          ),
        );
        if (metrics.length > 0) {
          io.stdout('\n');
          const label = (m: string): string => KEY_METRICS.find((k) => k.metric === m)?.label ?? m;
          io.stdout(
            table(
              ['method', 'metric', 'mean [95% CI]', 'n', 'vs'],
              metrics.map((m) => [
                m.method,
                label(m.metric),
                cell(m),
                String(m.n ?? '—'),
                m.baseline ?? '',
              ]),
            ),
          );
        }
        return 0;
      }
      case 'compare': {
        if (ids.length < 2) throw new ConfigError('runs compare needs at least two run ids');
        const runIds = ids.map(idOf);
        const byRun = runIds.map((id) => index.metrics(id));
        const methods = [...new Set(byRun.flatMap((ms) => ms.map((m) => m.method)))];
        const rows: { method: string; metric: string; cells: (MetricRow | undefined)[] }[] = [];
        for (const method of methods) {
          for (const { metric } of KEY_METRICS) {
            const cells = byRun.map((ms) =>
              ms.find((m) => m.method === method && m.metric === metric),
            );
            if (cells.some((c) => c !== undefined)) rows.push({ method, metric, cells });
          }
        }
        if (values.json) {
          io.stdout(`${JSON.stringify({ runs: runIds, rows })}\n`);
          return 0;
        }
        const label = (m: string): string => KEY_METRICS.find((k) => k.metric === m)!.label;
        io.stdout(
          table(
            ['method', 'metric', ...runIds],
            rows.map((r) => [r.method, label(r.metric), ...r.cells.map(cell)]),
          ),
        );
        return 0;
      }
      default:
        throw new ConfigError(`unknown runs subcommand '${sub}'; use list, show or compare`);
    }
  } finally {
    index.close();
  }
}
