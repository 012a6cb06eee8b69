/**
 * `osmosis report`: a run folder as Markdown (plots linked) and as one self-contained HTML page
 * (plots inlined as SVG): the config, the metrics table with confidence intervals, negative
 * transfer warnings, the plots and the jobs.
 */
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { CheckpointError } from '../core/errors.js';
import type { Estimate } from '../metrics/index.js';
import { CONFIG_FILE, readRunInfo, SUMMARY_FILE, type RunInfo } from './run-dir.js';
import type { MethodSummary, RunSummary } from './summary.js';

export interface RunReport {
  info: RunInfo;
  config: string;
  summary: RunSummary | null;
  /** Plot paths relative to the run folder, with their SVG markup. */
  plots: { path: string; svg: string }[];
}

const summaryShape = z
  .object({
    format: z.literal('osmosis-summary'),
    version: z.literal(1),
    methods: z.array(z.unknown()),
  })
  .passthrough();

export async function loadRunReport(runDir: string): Promise<RunReport> {
  const dir = resolve(runDir);
  const info = await readRunInfo(dir);
  const config = await readFile(join(dir, CONFIG_FILE), 'utf8').catch(() => '(missing)\n');
  let summary: RunSummary | null = null;
  const summaryPath = join(dir, SUMMARY_FILE);
  if (fs.existsSync(summaryPath)) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(summaryPath, 'utf8'));
    } catch (err) {
      throw new CheckpointError(`${summaryPath} is not valid JSON`, { cause: err });
    }
    if (!summaryShape.safeParse(value).success) {
      throw new CheckpointError(`${summaryPath} is not an Osmosis run summary`);
    }
    summary = value as RunSummary;
  }
  const plotsDir = join(dir, 'plots');
  const plots = fs.existsSync(plotsDir)
    ? fs
        .readdirSync(plotsDir)
        .filter((f) => f.endsWith('.svg'))
        .sort((a, b) =>
          a === 'learning-curves.svg' ? -1 : b === 'learning-curves.svg' ? 1 : a < b ? -1 : 1,
        )
        .map((f) => ({ path: `plots/${f}`, svg: fs.readFileSync(join(plotsDir, f), 'utf8') }))
    : [];
  return { info, config, summary, plots };
}

const g = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3)
    ? v.toExponential(2)
    : Number(v.toPrecision(4)).toString();
};

export function formatEstimate(e: Estimate | null | undefined, percent = false): string {
  if (!e) return '—';
  const f = (v: number): string => (percent ? `${g(v * 100)}%` : g(v));
  if (e.lower === null || e.upper === null) return `${f(e.mean)} (n=${e.n})`;
  return `${f(e.mean)} [${f(e.lower)}, ${f(e.upper)}]`;
}

function tttCell(m: MethodSummary): string {
  const tt = m.transfer?.timeToThreshold;
  if (!tt) return '—';
  const ratio = tt.ratio ? `${formatEstimate(tt.ratio)}×` : 'n/a';
  const { transfer, scratch } = tt.neverReached;
  return transfer.length + scratch.length > 0
    ? `${ratio}; censored at the budget: transfer ${transfer.length}, scratch ${scratch.length}`
    : ratio;
}

export interface Table {
  head: string[];
  rows: string[][];
}

export function metricsTable(summary: RunSummary): Table {
  return {
    head: [
      'method',
      'kind',
      'seeds',
      'final return',
      'jumpstart',
      'asymptotic Δ',
      'AUC ratio',
      'time to threshold (ratio)',
      'negative transfer',
    ],
    rows: summary.methods.map((m) => [
      m.name === summary.baseline ? `${m.name} (baseline)` : m.name,
      m.kind,
      String(m.seeds.length),
      formatEstimate(m.finalReturn),
      formatEstimate(m.transfer?.jumpstart),
      formatEstimate(m.transfer?.asymptotic),
      formatEstimate(m.transfer?.aucRatio, true),
      tttCell(m),
      m.transfer ? (m.transfer.negativeTransfer ? 'YES' : 'no') : '—',
    ]),
  };
}

export function warningsOf(summary: RunSummary | null): { negative: string[]; notes: string[] } {
  const negative: string[] = [];
  const notes: string[] = [...(summary?.warnings ?? [])];
  for (const m of summary?.methods ?? []) {
    for (const w of m.transfer?.warnings ?? []) {
      (w.kind === 'negative-transfer' ? negative : notes).push(`${m.name}: ${w.message}`);
    }
  }
  return { negative, notes };
}

/**
 * One sentence per evaluated source (summary.sources): which agent was kept and how it plays its
 * own task, so a reader can tell a weak source from a weak transfer method.
 */
export function sourceLines(summary: RunSummary | null): string[] {
  return (summary?.sources ?? []).map((s) => {
    const env =
      Object.keys(s.env.options).length > 0
        ? `${s.env.id} ${JSON.stringify(s.env.options)}`
        : s.env.id;
    const kept =
      s.selected === 'best'
        ? `kept the best of ${s.evaluations.length} periodic evaluations (${s.evaluation.episodes} episodes every ${s.evaluation.every} steps), at step ${s.bestStep}`
        : `kept the final weights (no periodic evaluation ran)`;
    const r = (x: { meanReturn: number; stdReturn: number }): string =>
      `${g(x.meanReturn)} ± ${g(x.stdReturn)}`;
    const verdict =
      s.solved === null
        ? ''
        : `; ${s.solved ? 'solves' : 'does not solve'} it (threshold ${s.threshold})`;
    return (
      `source ${s.name} (${s.algo}, ${s.totalSteps} steps on ${env}, seed ${s.seed}): ${kept}; ` +
      `over ${s.check.episodes} deterministic episodes of its own task it returns ${r(s.check.selected)}` +
      `${s.selected === 'best' ? ` (final weights: ${r(s.check.final)})` : ''}${verdict}`
    );
  });
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown table with its columns padded, as Prettier lays it out (generated pages pass format:check). */
export function mdTable(t: Table): string {
  const head = t.head.map(mdCell);
  const rows = t.rows.map((r) => r.map(mdCell));
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function header(r: RunReport): [string, string][] {
  const { info, summary } = r;
  return [
    ['run', info.id],
    ['status', info.status],
    ['created', info.createdAt],
    ['finished', info.finishedAt ?? '—'],
    ['attempts', String(info.attempts)],
    ['git commit', info.gitCommit ?? '—'],
    ['config hash', info.configHash.slice(0, 16)],
    ['env', summary?.env ?? '—'],
    ['baseline', summary?.baseline ?? '—'],
    [
      'grid',
      summary?.grid
        ? `${summary.grid.points} points, steps ${summary.grid.start} to ${summary.grid.end}`
        : '—',
    ],
  ];
}

export const METRICS_NOTE =
  'Metrics are means over seeds, paired by seed against the baseline, with confidence intervals in brackets. ' +
  'Jumpstart and asymptotic Δ are return differences (transfer − baseline) at the start and over the final window; ' +
  'AUC ratio is (AUC_transfer − AUC_baseline) / |AUC_baseline|; time to threshold ratio < 1 means faster (Taylor & Stone 2009); ' +
  "a seed that never reaches the threshold counts its method's whole budget (censored), and the table says how many did not.";

/** Markdown; plot links are relative to `outFile`'s folder (default: the run folder). */
export function renderMarkdown(r: RunReport, runDir: string, outFile?: string): string {
  const { info, summary } = r;
  const base = outFile ? dirname(resolve(outFile)) : resolve(runDir);
  const { negative, notes } = warningsOf(summary);
  const parts: string[] = [
    `# Run ${info.name}`,
    '',
    ...header(r).map(([k, v]) => `- **${k}**: ${v}`),
    '',
  ];
  parts.push('## Results', '');
  if (summary) parts.push(mdTable(metricsTable(summary)), '', `_${METRICS_NOTE}_`, '');
  else parts.push('No summary yet (the run has not finished).', '');
  const sources = sourceLines(summary);
  if (sources.length > 0) parts.push('## Sources', '', ...sources.map((l) => `- ${l}`), '');
  if (negative.length > 0) {
    parts.push('## ⚠ Negative transfer', '', ...negative.map((w) => `> **Warning:** ${w}`), '');
  }
  if (notes.length > 0) parts.push('## Notes', '', ...notes.map((w) => `- ${w}`), '');
  if (r.plots.length > 0) {
    parts.push('## Plots', '');
    for (const p of r.plots) {
      const rel = relative(base, join(resolve(runDir), p.path))
        .split('\\')
        .join('/');
      parts.push(`![${p.path}](${rel})`, '');
    }
  }
  parts.push(
    '## Jobs',
    '',
    mdTable({
      head: ['method', 'seed', 'status', 'seconds', 'error'],
      rows: info.jobs.map((j) => [
        j.method,
        String(j.seed),
        j.status,
        j.seconds === null ? '—' : j.seconds.toFixed(1),
        j.error ?? '',
      ]),
    }),
    '',
  );
  parts.push('## Config', '', '```yaml', r.config.trimEnd(), '```', '');
  return parts.join('\n');
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function htmlTable(t: Table): string {
  return (
    `<table><thead><tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>` +
    t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

/** One self-contained HTML page: styles inline, plots inlined as SVG, no external resources. */
export function renderHtml(r: RunReport): string {
  const { info, summary } = r;
  const { negative, notes } = warningsOf(summary);
  const body: string[] = [
    `<h1>Run ${escapeHtml(info.name)}</h1>`,
    `<dl>${header(r)
      .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
      .join('')}</dl>`,
    '<h2>Results</h2>',
    summary
      ? `${htmlTable(metricsTable(summary))}<p class="note">${escapeHtml(METRICS_NOTE)}</p>`
      : '<p>No summary yet (the run has not finished).</p>',
  ];
  const sources = sourceLines(summary);
  if (sources.length > 0) {
    body.push(
      '<h2>Sources</h2>',
      `<ul>${sources.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
    );
  }
  if (negative.length > 0) {
    body.push(
      '<h2>Negative transfer</h2>',
      ...negative.map((w) => `<p class="warn">⚠ ${escapeHtml(w)}</p>`),
    );
  }
  if (notes.length > 0)
    body.push(
      '<h2>Notes</h2>',
      `<ul>${notes.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`,
    );
  if (r.plots.length > 0) {
    body.push('<h2>Plots</h2>');
    // The SVG comes from our own plot writer; strip any XML prolog so it inlines cleanly.
    for (const p of r.plots) {
      body.push(
        `<figure>${p.svg.replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>${escapeHtml(p.path)}</figcaption></figure>`,
      );
    }
  }
  body.push(
    '<h2>Jobs</h2>',
    htmlTable({
      head: ['method', 'seed', 'status', 'seconds', 'error'],
      rows: info.jobs.map((j) => [
        j.method,
        String(j.seed),
        j.status,
        j.seconds === null ? '—' : j.seconds.toFixed(1),
        j.error ?? '',
      ]),
    }),
    '<h2>Config</h2>',
    `<pre>${escapeHtml(r.config)}</pre>`,
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Osmosis run ${info.id}`)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:600}
dd{margin:0}.warn{background:#fff3cd;border-left:4px solid #d39e00;padding:6px 10px}.note{color:#555;font-size:13px}
pre{background:#f6f8fa;padding:10px;overflow:auto}figure{margin:1em 0}figcaption{color:#666;font-size:12px}
</style></head><body>
${body.join('\n')}
</body></html>
`;
}
