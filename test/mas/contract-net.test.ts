import { describe, expect, it } from 'vitest';
import {
  ContractNetInitiator,
  ContractNetResponder,
  MessageBus,
  ProtocolError,
  Scheduler,
  type AclMessage,
  type ContractNetInitiatorHandlers,
  type ContractNetResult,
} from '../../src/mas/index.js';

/** How a worker behaves: its bid (or refuse / silence), thinking time, and how the job ends. */
interface Behaviour {
  bid: number | 'refuse' | 'not-understood' | 'silent';
  think?: number;
  work?: number;
  fail?: boolean;
}

function setup(workers: Record<string, Behaviour>, scheduler = new Scheduler()) {
  const bus = new MessageBus(scheduler, { latency: 1 });
  const log: string[] = [];
  bus.register('manager');
  for (const [name, b] of Object.entries(workers)) {
    bus.register(name);
    new ContractNetResponder(
      { bus, owner: name },
      {
        handleCfp: () =>
          b.bid === 'silent'
            ? null
            : typeof b.bid === 'number'
              ? { performative: 'propose', content: { cost: b.bid }, delay: b.think }
              : { performative: b.bid, delay: b.think },
        handleAcceptProposal: (cfp, propose, accept) => {
          log.push(
            `${scheduler.time} ${name} accepted ${String(cfp.content)} ${propose.inReplyTo} ${accept.inReplyTo}`,
          );
          return b.fail
            ? { performative: 'failure', content: 'broke down', delay: b.work }
            : { performative: 'inform', content: { done: cfp.content ?? null }, delay: b.work };
        },
        handleRejectProposal: (_cfp, _p, reject) =>
          log.push(`${scheduler.time} ${name} rejected ${JSON.stringify(reject.content ?? null)}`),
      },
    );
  }
  return { scheduler, bus, log };
}

const cheapest: ContractNetInitiatorHandlers['handleAllResponses'] = (_r, { proposals }) => {
  const best = [...proposals].sort(
    (a, b) => (a.content as { cost: number }).cost - (b.content as { cost: number }).cost,
  )[0];
  return best ? [{ proposal: best, accept: true, content: 'go' }] : [];
};

function tender(
  env: ReturnType<typeof setup>,
  receivers: string[],
  options: { deadline?: number; resultTimeout?: number; id?: string; conversationId?: string } = {},
  extra: Partial<ContractNetInitiatorHandlers> = {},
  start = true,
) {
  const calls: string[] = [];
  const out: { result?: ContractNetResult } = {};
  const t = (name: string) => (m: AclMessage) =>
    calls.push(`${env.scheduler.time} ${name} ${m.sender}`);
  const init = new ContractNetInitiator(
    { bus: env.bus, owner: 'manager', deadline: 5, ...options },
    {
      handlePropose: t('propose'),
      handleRefuse: t('refuse'),
      handleNotUnderstood: t('not-understood'),
      handleInform: t('inform'),
      handleFailure: t('failure'),
      handleLateResponse: t('late'),
      handleOutOfSequence: t('out-of-sequence'),
      handleAllResponses: (r, info) => {
        calls.push(`${env.scheduler.time} all-responses ${r.length} missing=${info.missing}`);
        return cheapest(r, info);
      },
      handleAllResultNotifications: (n, info) =>
        calls.push(`${env.scheduler.time} all-results ${n.length} missing=${info.missing}`),
      onEnd: (r) => (out.result = r),
      ...extra,
    },
  );
  if (start) init.start({ receivers, content: 'task-1' });
  return { init, calls, out };
}

describe('FIPA Contract Net', () => {
  it('all propose: the cheapest wins, the others are rejected, the winner informs', () => {
    const env = setup({ w1: { bid: 5 }, w2: { bid: 3, work: 4 }, w3: { bid: 4, think: 2 } });
    const { init, calls, out } = tender(env, ['w1', 'w2', 'w3']);
    env.scheduler.run();
    expect(calls).toEqual([
      '2 propose w1',
      '2 propose w2',
      '4 propose w3',
      '4 all-responses 3 missing=',
      '10 inform w2',
      '10 all-results 1 missing=',
    ]);
    expect(env.log).toEqual([
      '5 w1 rejected null',
      '5 w2 accepted task-1 manager-cnet-1-cfp manager-cnet-1-w2',
      '5 w3 rejected null',
    ]);
    const r = out.result!;
    expect(r.accepted).toEqual(['w2']);
    expect(r.proposals.map((m) => m.sender)).toEqual(['w1', 'w2', 'w3']);
    expect(r.informs[0].content).toEqual({ done: 'task-1' });
    expect(r).toMatchObject({
      refusals: [],
      missing: [],
      late: [],
      failures: [],
      resultMissing: [],
    });
    expect(init.done).toBe(true);
    // Retired: the initiator left the scheduler and its (now stale) deadline event with it.
    expect(env.scheduler.agent(init.id)).toBeUndefined();
    expect(env.scheduler.pendingCount).toBe(0);
    expect(() => init.start({ receivers: ['w1'] })).toThrow(ProtocolError);
  });

  it('some refuse or do not understand: decided as soon as everyone answered', () => {
    const env = setup({ w1: { bid: 'refuse' }, w2: { bid: 7 }, w3: { bid: 'not-understood' } });
    const { calls, out } = tender(env, ['w1', 'w2', 'w3']);
    env.scheduler.run();
    expect(calls.slice(0, 4)).toEqual([
      '2 refuse w1',
      '2 propose w2',
      '2 not-understood w3',
      '2 all-responses 3 missing=',
    ]);
    expect(out.result!.refusals.map((m) => m.performative)).toEqual(['refuse', 'not-understood']);
    expect(out.result!.accepted).toEqual(['w2']);
  });

  it('a responder that never answers is reported missing at the deadline', () => {
    const env = setup({ w1: { bid: 2 }, w2: { bid: 'silent' } });
    const { calls, out } = tender(env, ['w1', 'w2'], { deadline: 5 });
    env.scheduler.run();
    expect(calls).toContain('5 all-responses 1 missing=w2');
    expect(out.result!.missing).toEqual(['w2']);
    expect(out.result!.accepted).toEqual(['w1']);
  });

  it('nobody answers: ends at the deadline with nothing accepted', () => {
    const env = setup({ w1: { bid: 'silent' } });
    const { out } = tender(env, ['w1'], { deadline: 3 });
    env.scheduler.run();
    expect(env.scheduler.time).toBe(3);
    expect(out.result).toMatchObject({ proposals: [], accepted: [], missing: ['w1'] });
  });

  it('a late proposal is ignored, reported, and rejected; one exactly at the deadline counts', () => {
    const env = setup({
      w1: { bid: 9 },
      w2: { bid: 1, think: 10 },
      w3: { bid: 8, think: 3, work: 20 },
    });
    const { calls, out } = tender(env, ['w1', 'w2', 'w3'], { deadline: 5 });
    env.scheduler.run();
    // Latency 1 each way. w3's proposal arrives at 1 + 3 + 1 = 5 = the deadline: on time.
    // w2 (the cheapest) arrives at 12: late, while w3 is still working (until 26).
    expect(calls).toContain('5 propose w3');
    expect(calls).toContain('5 all-responses 2 missing=w2');
    expect(calls).toContain('12 late w2');
    const r = out.result!;
    expect(r.accepted).toEqual(['w3']);
    expect(r.late.map((m) => m.sender)).toEqual(['w2']);
    expect(r.missing).toEqual(['w2']);
    expect(env.log).toContain('13 w2 rejected {"reason":"late","deadline":5}');
  });

  it('the winner fails: reported as failure, and the manager can re-tender without it', () => {
    const env = setup({ w1: { bid: 1, fail: true, work: 2 }, w2: { bid: 2 }, w3: { bid: 3 } });
    const results: ContractNetResult[] = [];
    const first = tender(
      env,
      ['w1', 'w2', 'w3'],
      {},
      {
        onEnd: (r) => {
          results.push(r);
          if (r.failures.length === 0) return;
          const failed = r.failures.map((f) => f.sender);
          const again = tender(
            env,
            ['w1', 'w2', 'w3'].filter((w) => !failed.includes(w)),
            {},
            {
              onEnd: (r2) => results.push(r2),
            },
          );
          expect(again.init.conversationId).toBe('manager-cnet-2');
        },
      },
    );
    env.scheduler.run();
    expect(first.calls).toContain('6 failure w1');
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ accepted: ['w1'], informs: [] });
    expect(results[0].failures[0].content).toBe('broke down');
    expect(results[1].accepted).toEqual(['w2']);
    expect(results[1].informs).toHaveLength(1);
  });

  it('a winner that never reports is listed after the result timeout', () => {
    const env = setup({ w1: { bid: 1, work: 100 } });
    const { calls, out } = tender(env, ['w1'], { resultTimeout: 10 });
    env.scheduler.run();
    expect(out.result!.resultMissing).toEqual(['w1']);
    expect(calls).toContain('12 all-results 0 missing=w1');
    expect(calls.at(-1)).toBe('12 all-results 0 missing=w1');
  });

  it('an unknown responder bounces as a platform failure and is not waited for', () => {
    const env = setup({ w1: { bid: 4 } });
    const { calls, out } = tender(env, ['w1', 'ghost'], { deadline: 50 });
    env.scheduler.run();
    expect(calls).toContain('2 failure ams');
    expect(calls).toContain('2 all-responses 2 missing=');
    expect(out.result!.refusals[0].sender).toBe('ams');
    expect(out.result!.accepted).toEqual(['w1']);
  });

  it('resumes mid-conversation from a snapshot with the same outcome', () => {
    const workers = {
      w1: { bid: 5, work: 3 },
      w2: { bid: 2, think: 3, work: 6 },
      w3: { bid: 'silent' as const },
    };
    const run = (snapAt?: number) => {
      let env = setup(workers);
      let { out } = tender(env, ['w1', 'w2', 'w3'], { id: 'tender', conversationId: 'job-1' });
      if (snapAt !== undefined) {
        env.scheduler.runUntil(snapAt);
        const snap = JSON.parse(JSON.stringify(env.scheduler.snapshot()));
        const scheduler = Scheduler.restore(snap, (s) => {
          env = setup(workers, s);
          // Rebuilt, not started: its phase and responses come back from the snapshot.
          const opts = { id: 'tender', conversationId: 'job-1' };
          out = tender(env, ['w1', 'w2', 'w3'], opts, {}, false).out;
          return {};
        });
        expect(scheduler).toBe(env.scheduler);
      }
      env.scheduler.run();
      // The test-side log is not checkpointed: compare what happened after the snapshot.
      const log = env.log.filter((line) => parseFloat(line) > (snapAt ?? -1));
      return { result: out.result, log, stats: env.bus.stats, time: env.scheduler.time };
    };
    const plain = run();
    expect(plain.result!.accepted).toEqual(['w2']);
    for (const at of [0.5, 1, 4.5, 5, 7]) {
      const resumed = run(at);
      expect(resumed.log).toEqual(plain.log.filter((line) => parseFloat(line) > at));
      expect({ ...resumed, log: [] }).toEqual({ ...plain, log: [] });
    }
  });

  it('a responder answers a cfp without conversation-id with not-understood; roles need a mailbox', () => {
    const env = setup({ w1: { bid: 1 } });
    env.bus.send({
      performative: 'cfp',
      sender: 'manager',
      receivers: ['w1'],
      protocol: 'fipa-contract-net',
    });
    env.scheduler.run();
    expect(env.bus.mailbox('manager')!.receive()?.performative).toBe('not-understood');
    expect(
      () =>
        new ContractNetResponder(
          { bus: env.bus, owner: 'nobody' },
          { handleCfp: () => null, handleAcceptProposal: () => ({ performative: 'inform' }) },
        ),
    ).toThrow(ProtocolError);
  });
});
