import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../examples/cartpole-ppo.js';
import { getAlgorithm } from '../../src/rl/algos/registry.js';

describe('examples/cartpole-ppo', () => {
  it('runs with a tiny budget and writes a loadable checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osmosis-cartpole-ppo-'));
    try {
      const r = await main({ totalSteps: 512, quiet: true, evalEpisodes: 2, outDir: dir });
      expect(r.totalSteps).toBe(512);
      expect(r.episodes).toBeGreaterThan(0);
      expect(r.evalMeanReturn).toBeGreaterThan(0);
      expect(r.timings.updateSeconds).toBeGreaterThan(0);
      const agent = await getAlgorithm('ppo').load(dir);
      expect(agent.envId).toBe('CartPole-v1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
