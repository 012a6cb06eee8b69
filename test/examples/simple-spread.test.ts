import { describe, expect, it } from 'vitest';
import { main } from '../../examples/simple-spread.js';

describe('examples/simple-spread', () => {
  it('runs parameter-shared PPO with a tiny budget', async () => {
    const r = await main({ totalSteps: 400, quiet: true, evalEpisodes: 2 });
    expect(r.algo).toBe('ppo-shared');
    expect(Object.keys(r.agentReturns).sort()).toEqual(['agent_0', 'agent_1', 'agent_2']);
    expect(Number.isFinite(r.teamReturn)).toBe(true);
    expect(Number.isFinite(r.randomTeamReturn)).toBe(true);
    expect(await main({ totalSteps: 400, quiet: true, evalEpisodes: 2 })).toEqual({
      ...r,
      trainSeconds: expect.any(Number),
    });
  });
});
