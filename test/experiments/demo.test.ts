import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCommand, DEMO_CONFIG, DEMO_SEEDS } from '../../src/cli/demo.js';
import { main } from '../../src/cli/main.js';
import { loadRlRegistries } from '../../src/experiments/rl-registries.js';
import '../../src/experiments/builtins.js';
import { loadExperiment } from '../../src/experiments/schema.js';
import { findPackageRoot } from '../../src/util/package-root.js';
import { collectIO, tempDir, writeFakeConfig } from './helpers.js';

describe('osmosis demo (the main job)', () => {
  it('is the bundled CartPole transfer experiment: a source, scratch, fine-tuning, A2T, 20 seeds (the demo runs 5)', async () => {
    await loadRlRegistries();
    const e = await loadExperiment(join(findPackageRoot(), DEMO_CONFIG));
    expect(e.seeds).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(DEMO_SEEDS).toBe(5);
    expect(e.env).toEqual({ id: 'CartPole-v1', options: { masspole: 0.5, length: 1.0 } });
    expect(e.source).toMatchObject({ algo: 'ppo', env: { id: 'CartPole-v1' } });
    expect(e.methods.map((m) => m.kind)).toEqual(['scratch', 'finetune', 'a2t', 'a2t']);
    expect(e.metrics.baseline).toBe('scratch');
  });

  it('runs an experiment end to end: progress, the metrics tables, the report and plots', async () => {
    const root = tempDir('demo');
    const config = writeFakeConfig(join(root, 'cfg'), { seeds: 2 });
    const io = collectIO();
    const out = join(root, 'runs');
    expect(await demoCommand(['--out', out, '--workers', '2', '--seeds', '2'], io, config)).toBe(0);
    const text = io.out();
    expect(io.err()).toMatch(/\[6\/6\] done/);
    expect(text).toMatch(/run fake-transfer-\S+: finished \(6 job\(s\) run, 0 skipped, 0 failed\)/);
    expect(text).toMatch(/harmful\s+2\s+.*YES/);
    expect(text).toContain('time to threshold (ratio)');
    expect(text).toMatch(/WARNING harmful: negative transfer/);
    const written = [...text.matchAll(/^wrote (.*)$/gm)].map((m) => m[1]);
    expect(written.map((f) => f.split(/[\\/]/).at(-1))).toEqual(['report.md', 'report.html']);
    for (const f of written) expect(existsSync(f)).toBe(true);
    expect(readFileSync(written[0], 'utf8')).toMatch(/\| harmful +\| fake +\| 2 +\|/);
    const plots = [...text.matchAll(/^ {2}(\S+\.svg)$/gm)].map((m) => m[1]);
    expect(plots.length).toBeGreaterThanOrEqual(3);
    for (const p of plots) expect(existsSync(p)).toBe(true);
  });

  it('--help explains the main job; the top-level help lists it', async () => {
    const io = collectIO();
    expect(await main(['demo', '--help'], io)).toBe(0);
    expect(io.out()).toContain(DEMO_CONFIG);
    expect(io.out()).toContain('A2T');
    expect(io.out()).toContain('--resume');
    const top = collectIO();
    expect(await main(['--help'], top)).toBe(0);
    expect(top.out()).toMatch(/demo\s+run the main job/);
    const bad = collectIO();
    expect(await main(['demo', '--seeds', '0'], bad)).toBe(2);
    expect(bad.err()).toContain("--seeds must be an integer >= 1, got '0'");
  });
});
