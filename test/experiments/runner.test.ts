import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report.js';
import { runCommand } from '../../src/cli/run.js';
import { runsCommand } from '../../src/cli/runs.js';
import { runExperiment, type RunOutcome } from '../../src/experiments/runner.js';
import type { RunSummary } from '../../src/experiments/summary.js';
import { collectIO, resultsOf, summaryOf, tempDir, writeFakeConfig } from './helpers.js';

function expectValidSvg(svg: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false }).parse(svg) as Record<string, unknown>;
  expect(Object.keys(doc)).toEqual(['svg']);
  expect((doc.svg as Record<string, string>)['@_xmlns']).toBe('http://www.w3.org/2000/svg');
}

describe('runner end to end', () => {
  const root = tempDir('runner');
  const config = writeFakeConfig(join(root, 'cfg'));
  const out = join(root, 'runs');
  let parallel: RunOutcome;
  let sequential: RunOutcome;
  let inProcess: RunOutcome;

  beforeAll(async () => {
    parallel = await runExperiment(config, { out, workers: 2 });
    sequential = await runExperiment(config, { out, workers: 1 });
    inProcess = await runExperiment(config, { out: join(root, 'other'), workers: 0 });
  });

  it('finishes every job', () => {
    for (const o of [parallel, sequential, inProcess]) {
      expect(o).toMatchObject({ status: 'finished', ran: 9, skipped: 0, failed: [] });
      expect(o.indexError).toBeUndefined();
    }
    expect(parallel.id).not.toBe(sequential.id);
    expect(parallel.id).toMatch(/^fake-transfer-\d{8}-\d{6}-[0-9a-f]{8}/);
  });

  it('2 workers give the same results, summary and plots as 1 worker and as in-process', () => {
    const r = resultsOf(parallel.runDir);
    expect(Object.keys(r)).toHaveLength(9);
    expect(resultsOf(sequential.runDir)).toEqual(r);
    expect(resultsOf(inProcess.runDir)).toEqual(r);
    expect(summaryOf(sequential.runDir)).toEqual(summaryOf(parallel.runDir));
    expect(summaryOf(inProcess.runDir)).toEqual(summaryOf(parallel.runDir));
    for (const p of parallel.plots) {
      expect(readFileSync(join(sequential.runDir, p), 'utf8')).toBe(
        readFileSync(join(parallel.runDir, p), 'utf8'),
      );
    }
  });

  it('writes the run folder', () => {
    const dir = parallel.runDir;
    for (const f of ['config.resolved.yaml', 'run.json', 'metrics.jsonl', 'summary.json']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    const resolved = readFileSync(join(dir, 'config.resolved.yaml'), 'utf8');
    expect(resolved).toContain('gridPoints: 50');
    expect(resolved).toContain('resamples: 2000'); // a default, filled in
    const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(info).toMatchObject({ status: 'finished', attempts: 1, name: 'fake-transfer' });
    expect(info.jobs.every((j: { status: string }) => j.status === 'finished')).toBe(true);
    for (const m of ['scratch', 'helpful', 'harmful']) {
      for (const s of [0, 1, 2]) {
        expect(existsSync(join(dir, 'checkpoints', m, `seed-${s}`, 'agent.json'))).toBe(true);
      }
    }
  });

  it('metrics.jsonl holds one line per episode and event', () => {
    const lines = readFileSync(join(parallel.runDir, 'metrics.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const episodes = lines.filter((l) => l.type === 'episode');
    expect(episodes).toHaveLength(9 * 20);
    expect(episodes[0]).toMatchObject({
      attempt: 1,
      globalStep: expect.any(Number),
      episodicReturn: expect.any(Number),
    });
    expect(lines.filter((l) => l.type === 'event' && l.event === 'eval')).toHaveLength(9 * 4);
    expect(lines.filter((l) => l.type === 'job-end' && l.status === 'finished')).toHaveLength(9);
    // Per job, the lines keep the order the job produced them in.
    const steps = episodes
      .filter((l) => l.method === 'helpful' && l.seed === 1)
      .map((l) => l.globalStep);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
  });

  it('summary: transfer metrics against the baseline, negative transfer flagged', () => {
    const s = JSON.parse(readFileSync(join(parallel.runDir, 'summary.json'), 'utf8')) as RunSummary;
    expect(s.baseline).toBe('scratch');
    const by = Object.fromEntries(s.methods.map((m) => [m.name, m]));
    expect(by.scratch.transfer).toBeNull();
    expect(by.helpful.transfer!.jumpstart.mean).toBeGreaterThan(20);
    expect(by.helpful.transfer!.aucRatio!.lower!).toBeGreaterThan(0);
    expect(by.helpful.transfer!.negativeTransfer).toBe(false);
    expect(by.harmful.transfer!.negativeTransfer).toBe(true);
    expect(s.negativeTransfer).toEqual(['harmful']);
    const tt = by.harmful.transfer!.timeToThreshold!;
    expect(tt.neverReached.transfer).toEqual([0, 1, 2]);
    // Censored at the last step any of the method's episodes ended at.
    const episodes = readFileSync(join(parallel.runDir, 'metrics.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.type === 'episode');
    const lastStep = (method: string): number =>
      Math.max(...episodes.filter((l) => l.method === method).map((l) => l.globalStep as number));
    expect(tt.budget).toEqual({ transfer: lastStep('harmful'), scratch: lastStep('scratch') });
    expect(tt.transfer).toMatchObject({ mean: lastStep('harmful'), n: 3 });
    expect(by.helpful.finalReturn!.n).toBe(3);
  });

  it('plots are valid SVG: curves with bands, method vs baseline, method time series', () => {
    expect([...parallel.plots].sort()).toEqual([
      'plots/harmful-vs-scratch.svg',
      'plots/helpful-attention.svg',
      'plots/helpful-vs-scratch.svg',
      'plots/learning-curves.svg',
    ]);
    for (const p of parallel.plots) expectValidSvg(readFileSync(join(parallel.runDir, p), 'utf8'));
    const svg = readFileSync(join(parallel.runDir, 'plots/learning-curves.svg'), 'utf8');
    expect(svg).toContain('mark-area'); // the confidence bands
    expect(svg).toContain('mark-line');
    expect(svg).toContain('helpful');
  });

  it('runs list / show / compare', async () => {
    let io = collectIO();
    expect(await runsCommand(['list', '--dir', out], io)).toBe(0);
    expect(io.out()).toContain(parallel.id);
    expect(io.out()).toContain(sequential.id);
    expect(io.out()).toContain('finished');

    io = collectIO();
    expect(await runsCommand(['list', '--dir', out, '--json'], io)).toBe(0);
    const list = JSON.parse(io.out()) as { id: string; status: string }[];
    expect(list.map((r) => r.id).sort()).toEqual([parallel.id, sequential.id].sort());

    io = collectIO();
    expect(await runsCommand(['show', parallel.runDir, '--dir', out], io)).toBe(0);
    expect(io.out()).toContain(`run ${parallel.id}`);
    expect(io.out()).toMatch(/helpful\s+AUC ratio/);
    expect(io.out()).toMatch(/harmful\s+2\s+finished/);

    io = collectIO();
    expect(await runsCommand(['compare', parallel.id, sequential.id, '--dir', out], io)).toBe(0);
    const rows = io.out().split('\n');
    expect(rows[0]).toMatch(new RegExp(`method\\s+metric\\s+${parallel.id}\\s+${sequential.id}`));
    const auc = rows.find((r) => /^helpful\s+AUC ratio/.test(r))!;
    const cells = auc.split(/\s{2,}/).slice(2);
    expect(cells).toHaveLength(2);
    expect(cells[0]).toBe(cells[1]);
    expect(cells[0]).toMatch(/%/);

    io = collectIO();
    await expect(runsCommand(['show', 'nope', '--dir', out], io)).rejects.toThrow(/no run 'nope'/);
  });

  it('report renders Markdown and self-contained HTML with the SVG inlined', async () => {
    const io = collectIO();
    expect(await reportCommand([parallel.runDir], io)).toBe(0);
    const md = readFileSync(join(parallel.runDir, 'report.md'), 'utf8');
    const html = readFileSync(join(parallel.runDir, 'report.html'), 'utf8');
    expect(md).toMatch(/\| helpful +\| fake +\| 3 +\|/);
    expect(md).toContain('![plots/learning-curves.svg](plots/learning-curves.svg)');
    expect(md).toMatch(/Warning:\*\* harmful: negative transfer/);
    expect(md).toContain('```yaml');
    expect(html).toContain('<svg');
    expect(html).toContain('negative transfer');
    expect(html).not.toMatch(/<script|<link|\ssrc=/);
    // Every inlined plot is well-formed XML.
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs).toHaveLength(4);
    for (const s of svgs) expectValidSvg(s);

    const other = join(tempDir('report'), 'r.md');
    expect(await reportCommand([parallel.runDir, '--out', other], collectIO())).toBe(0);
    expect(readFileSync(other, 'utf8')).toMatch(
      /!\[plots\/learning-curves.svg\]\(.*runs\/.*\/plots\/learning-curves.svg\)/,
    );
  });
});

describe('runner CLI', () => {
  it('--help explains each command', async () => {
    for (const cmd of [runCommand, reportCommand, runsCommand]) {
      const io = collectIO();
      expect(await cmd(['--help'], io)).toBe(0);
      expect(io.out()).toMatch(/^Usage: osmosis/);
    }
  });

  it('a failing job fails the run (exit 1), the rest still finishes', async () => {
    const root = tempDir('fail');
    const config = writeFakeConfig(join(root, 'cfg'), {
      seeds: 2,
      failSeeds: [1],
      totalSteps: 300,
    });
    const io = collectIO();
    const code = await runCommand([config, '--out', join(root, 'runs'), '--workers', '2'], io);
    expect(code).toBe(1);
    expect(io.out()).toMatch(/FAILED helpful seed 1: Error: fake failure on seed 1/);
    expect(io.err()).toMatch(/FAILED helpful\/seed-1/);
    const runDir = join(
      root,
      'runs',
      readdirSync(join(root, 'runs')).find((f) => f.startsWith('fake'))!,
    );
    expect(existsSync(join(runDir, 'results', 'helpful', 'seed-0.json'))).toBe(true);
    expect(existsSync(join(runDir, 'results', 'helpful', 'seed-1.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).status).toBe('failed');
    expect(summaryOf(runDir).warnings).toContain('helpful: no result for seed(s) 1');
  });

  it('--seeds overrides the seeds; the built-in scratch kind trains a registered algorithm', async () => {
    const root = tempDir('scratch');
    const config = writeFakeConfig(join(root, 'cfg'), {
      totalSteps: 500,
      extra: '',
    });
    const text = readFileSync(config, 'utf8').replace(
      'kind: fake\n    totalSteps: 500\n    delayMs: 0\n    curve: { start: 0, end: 100, tau: 400 }',
      'kind: scratch\n    algo: fakealgo\n    totalSteps: 500',
    );
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, text);
    const io = collectIO();
    const code = await runCommand(
      [config, '--out', join(root, 'runs'), '--seeds', '2', '--workers', '2', '--json'],
      io,
    );
    expect(code).toBe(0);
    const outcome = JSON.parse(io.out()) as {
      runDir: string;
      ran: number;
      negativeTransfer: string[];
    };
    expect(outcome.ran).toBe(6);
    expect(outcome.negativeTransfer).toEqual(['harmful']);
    const ckpt = JSON.parse(
      readFileSync(join(outcome.runDir, 'checkpoints/scratch/seed-1/config.json'), 'utf8'),
    );
    expect(ckpt).toEqual({ algo: 'fakealgo', hyperparams: { lr: 0.001, gamma: 0.9 } });
  });

  it('a bad config exits through a ConfigError naming the path', async () => {
    const root = tempDir('bad');
    const config = writeFakeConfig(join(root, 'cfg'), { extra: '  bogus: 1\n' });
    await expect(runCommand([config, '--out', join(root, 'runs')], collectIO())).rejects.toThrow(
      /metrics\.bogus: unknown key/,
    );
  });
});
