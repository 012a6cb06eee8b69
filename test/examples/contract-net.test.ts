import { describe, expect, it } from 'vitest';
import { main } from '../../examples/contract-net.js';

describe('examples/contract-net', () => {
  it('allocates every task, re-tendering the ones a worker failed, deterministically', () => {
    const result = main({ quiet: true });
    expect(result.allocation).toHaveLength(10);
    for (const a of result.allocation) {
      expect(a.worker, `task ${a.task}`).not.toBeNull();
      expect(a.finishedAt).toBeGreaterThan(a.task);
    }
    // delta cannot do size >= 5; gamma's bids are always late, so it never wins.
    expect(result.allocation.filter((a) => a.size >= 5).map((a) => a.worker)).not.toContain(
      'delta',
    );
    expect(result.allocation.map((a) => a.worker)).not.toContain('gamma');
    expect(result.allocation.some((a) => a.attempts > 1)).toBe(true);
    expect(result.lateBids).toBeGreaterThan(0);
    expect(result.messages).toBeGreaterThan(0);
    expect(main({ quiet: true })).toEqual(result);
  });

  it('runs with a tiny budget', () => {
    const result = main({ quiet: true, tasks: 2 });
    expect(result.allocation.map((a) => a.worker)).toEqual(['delta', 'delta']);
  });
});
