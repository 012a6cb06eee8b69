import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { writeFileAtomic } from '../core/io/atomic.js';
import { loadRunReport, renderHtml, renderMarkdown } from '../experiments/report.js';
import type { CommandIO } from './io.js';

const USAGE = `Usage: osmosis report runs/<id> [--out FILE]

Renders a run as Markdown and as a self-contained HTML page (plots inlined as SVG): the run's
status and provenance, the metrics table (final return, jumpstart, asymptotic difference, AUC
ratio and time-to-threshold ratio against the baseline, each with its confidence interval over
seeds), negative-transfer warnings, the plots, the jobs and the resolved config.

Options:
  --out FILE   write only this file: .html for HTML, anything else for Markdown
               (default: runs/<id>/report.md and runs/<id>/report.html)
  --stdout     print the Markdown on stdout instead of writing files
`;

export async function reportCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      stdout: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    io.stdout(USAGE);
    return values.help ? 0 : 2;
  }
  const dir = resolve(positionals[0]);
  if (!existsSync(join(dir, 'run.json')))
    throw new ConfigError(`${positionals[0]} is not a run folder (no run.json)`);
  const report = await loadRunReport(dir);
  if (values.stdout) {
    io.stdout(renderMarkdown(report, dir));
    return 0;
  }
  const outputs: [string, string][] = values.out
    ? [
        [
          values.out,
          values.out.endsWith('.html') || values.out.endsWith('.htm')
            ? renderHtml(report)
            : renderMarkdown(report, dir, values.out),
        ],
      ]
    : [
        [join(dir, 'report.md'), renderMarkdown(report, dir)],
        [join(dir, 'report.html'), renderHtml(report)],
      ];
  for (const [file, text] of outputs) {
    await writeFileAtomic(file, text);
    io.stdout(`wrote ${file}\n`);
  }
  return 0;
}
