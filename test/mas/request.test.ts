import { describe, expect, it } from 'vitest';
import {
  MessageBus,
  RequestInitiator,
  RequestResponder,
  Scheduler,
  type AclMessage,
  type RequestResult,
} from '../../src/mas/index.js';

type Answer = 'agree' | 'refuse' | 'not-understood' | 'direct' | 'silent';

function setup(responders: Record<string, { answer: Answer; fail?: boolean; work?: number }>) {
  const scheduler = new Scheduler();
  const bus = new MessageBus(scheduler, { latency: 1 });
  bus.register('client');
  for (const [name, r] of Object.entries(responders)) {
    bus.register(name);
    if (r.answer === 'silent') continue; // a mailbox nobody reads
    new RequestResponder(
      { bus, owner: name },
      {
        handleRequest: () =>
          r.answer === 'direct' ? null : { performative: r.answer as 'agree', content: r.answer },
        prepareResultNotification: (req, agree) => ({
          performative: r.fail ? 'failure' : 'inform',
          content: { for: req.content ?? null, agreed: agree !== undefined },
          delay: r.work,
        }),
      },
    );
  }
  const calls: string[] = [];
  const out: { result?: RequestResult } = {};
  const t = (what: string) => (m: AclMessage) =>
    calls.push(`${scheduler.time} ${what} ${m.sender}`);
  const initiator = (timeout?: number) =>
    new RequestInitiator(
      { bus, owner: 'client', timeout },
      {
        handleAgree: t('agree'),
        handleRefuse: t('refuse'),
        handleNotUnderstood: t('not-understood'),
        handleInform: t('inform'),
        handleFailure: t('failure'),
        handleOutOfSequence: t('out-of-sequence'),
        handleAllResponses: (r) => calls.push(`${scheduler.time} all-responses ${r.length}`),
        handleAllResultNotifications: (n, { missing }) =>
          calls.push(`${scheduler.time} all-results ${n.length} missing=${missing}`),
        onEnd: (r) => (out.result = r),
      },
    );
  return { scheduler, bus, calls, out, initiator };
}

describe('FIPA Request', () => {
  it('request -> agree -> inform', () => {
    const env = setup({ s1: { answer: 'agree', work: 3 } });
    const init = env.initiator();
    const sent = init.start({ receivers: ['s1'], content: 'paint' });
    expect(sent).toMatchObject({
      performative: 'request',
      protocol: 'fipa-request',
      conversationId: 'client-req-1',
    });
    env.scheduler.run();
    expect(env.calls).toEqual([
      '2 agree s1',
      '2 all-responses 1',
      '5 inform s1',
      '5 all-results 1 missing=',
    ]);
    expect(env.out.result!.notifications[0].content).toEqual({ for: 'paint', agreed: true });
    expect(init.done).toBe(true);
    expect(env.scheduler.pendingCount).toBe(0);
  });

  it('refuse and not-understood end the exchange without a result', () => {
    const env = setup({ s1: { answer: 'refuse' }, s2: { answer: 'not-understood' } });
    env.initiator().start({ receivers: ['s1', 's2'] });
    env.scheduler.run();
    expect(env.calls).toEqual([
      '2 refuse s1',
      '2 not-understood s2',
      '2 all-responses 2',
      '2 all-results 0 missing=',
    ]);
  });

  it('an inform without agree counts as both answers; failure after agree is a result', () => {
    const env = setup({ s1: { answer: 'direct' }, s2: { answer: 'agree', fail: true, work: 1 } });
    env.initiator().start({ receivers: ['s1', 's2'], content: 'x' });
    env.scheduler.run();
    expect(env.calls).toEqual([
      '2 inform s1',
      '2 agree s2',
      '2 all-responses 1',
      '3 failure s2',
      '3 all-results 2 missing=',
    ]);
    expect(env.out.result!.notifications[0].content).toEqual({ for: 'x', agreed: false });
  });

  it('a responder that never answers is missing at the timeout; an unknown one bounces', () => {
    const env = setup({ s1: { answer: 'agree', work: 100 }, s2: { answer: 'silent' } });
    const init = env.initiator(10);
    const sent = init.start({ receivers: ['s1', 's2', 'ghost'] });
    expect(sent.replyBy).toBe(10);
    env.scheduler.run();
    expect(env.calls).toEqual([
      '2 agree s1',
      '2 failure ams',
      '10 all-responses 2',
      '10 all-results 0 missing=s1,s2',
    ]);
    expect(env.out.result!.missing).toEqual(['s1', 's2']);
    // The late inform from s1 stays in the mailbox: the finished initiator no longer reads it.
    expect(env.bus.mailbox('client')!.peek({ performative: 'inform' })?.sender).toBe('s1');
  });
});
