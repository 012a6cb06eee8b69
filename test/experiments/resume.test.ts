import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/run.js';
import { runsCommand } from '../../src/cli/runs.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { collectIO, resultsOf, summaryOf, tempDir, writeFakeConfig } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/run-cli.ts', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function finishedJobs(runDir: string): string[] {
  const root = join(runDir, 'results');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((m) =>
      readdirSync(join(root, m))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `${m}/${f}`),
    )
    .sort();
}

describe('resume after SIGKILL', () => {
  it('skips finished jobs, reruns the others, and ends as an uninterrupted run would', async () => {
    const root = tempDir('resume');
    // 9 jobs of 20 episodes at 40 ms each on 2 workers: about 5 s in all, so the kill lands mid-run.
    const config = writeFakeConfig(join(root, 'cfg'), { delayMs: 40 });
    const out = join(root, 'runs');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, config, '--out', out, '--workers', '2', '--quiet'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_, signal) => resolve(signal)),
    );

    let runDir = '';
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (Date.now() > deadline)
        throw new Error(`the child never finished a job; stderr:\n${stderr}`);
      const id = existsSync(out)
        ? readdirSync(out).find((f) => f.startsWith('fake-transfer-'))
        : undefined;
      if (id) {
        runDir = join(out, id);
        const done = finishedJobs(runDir).length;
        if (done >= 1 && done < 9) break;
        if (done === 9) throw new Error('the child finished before it could be killed');
      }
      await sleep(10);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const finished = finishedJobs(runDir);
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.length).toBeLessThan(9);
    const before = Object.fromEntries(
      finished.map((f) => [f, readFileSync(join(runDir, 'results', f), 'utf8')]),
    );
    const info = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(info.status).toBe('running');
    expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
    // A torn last line, as a kill in the middle of a write would leave.
    appendFileSync(join(runDir, 'metrics.jsonl'), '{"type":"episode","meth');

    const io = collectIO();
    expect(await runCommand(['--resume', runDir, '--workers', '2'], io)).toBe(0);
    expect(io.err()).toContain(
      `skipping ${finished.length} finished job(s), running ${9 - finished.length}`,
    );
    expect(io.out()).toContain(
      `${9 - finished.length} job(s) run, ${finished.length} skipped, 0 failed`,
    );

    // Finished jobs were not run again: their result files are byte-for-byte the same.
    for (const [f, text] of Object.entries(before)) {
      expect(readFileSync(join(runDir, 'results', f), 'utf8')).toBe(text);
    }
    expect(finishedJobs(runDir)).toHaveLength(9);
    const after = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(after).toMatchObject({ status: 'finished', attempts: 2 });

    // Every line of metrics.jsonl parses again; the rerun jobs' lines carry attempt 2.
    const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    const reran = lines
      .filter((l) => l.type === 'job-start' && l.attempt === 2)
      .map((l) => `${l.method}/seed-${l.seed}.json`);
    expect(reran.sort()).toEqual(
      ['scratch', 'helpful', 'harmful']
        .flatMap((m) => [0, 1, 2].map((s) => `${m}/seed-${s}.json`))
        .filter((f) => !finished.includes(f))
        .sort(),
    );

    // Same results and summary as a run that was never interrupted.
    // (delayMs changes nothing but the timing, so the reference run goes without it.)
    const quick = writeFakeConfig(join(root, 'quick'));
    const clean = await runExperiment(quick, { out: join(root, 'clean'), workers: 0 });
    expect(resultsOf(runDir)).toEqual(resultsOf(clean.runDir));
    expect(summaryOf(runDir)).toEqual(summaryOf(clean.runDir));

    const list = collectIO();
    await runsCommand(['list', '--dir', out, '--json'], list);
    expect(JSON.parse(list.out())).toMatchObject([{ status: 'finished', attempts: 2 }]);

    // Resuming a finished run does nothing but rewrite the summary.
    const again = collectIO();
    expect(await runCommand(['--resume', runDir, '--workers', '2'], again)).toBe(0);
    expect(again.out()).toContain('0 job(s) run, 9 skipped');
  });

  it('refuses to resume when the resolved config was edited', async () => {
    const root = tempDir('resume-edit');
    const config = writeFakeConfig(join(root, 'cfg'), { seeds: 1, totalSteps: 200 });
    const o = await runExperiment(config, { out: join(root, 'runs'), workers: 0 });
    const file = join(o.runDir, 'config.resolved.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 60', 'threshold: 61'));
    await expect(runCommand(['--resume', o.runDir], collectIO())).rejects.toThrow(
      /no longer matches the run/,
    );
  });
});
