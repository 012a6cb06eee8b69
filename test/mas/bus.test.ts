import { describe, expect, it } from 'vitest';
import {
  AclError,
  DeliveryError,
  MessageBus,
  Scheduler,
  type AclMessage,
  type BusOptions,
} from '../../src/mas/index.js';

function world(options: BusOptions = {}, names = ['a', 'b', 'c']) {
  const s = new Scheduler();
  const bus = new MessageBus(s, options);
  const log: string[] = [];
  for (const n of names) {
    bus
      .register(n)
      .onMessage((_box, m) =>
        log.push(`${s.time} ${n} <- ${m.sender} ${m.performative} ${String(m.content)}`),
      );
  }
  return { s, bus, log };
}

describe('MessageBus', () => {
  it('delivers on the simulated clock with per-receiver latency, in send order', () => {
    const { s, bus, log } = world({ latency: (_m, r) => (r === 'c' ? 2 : 1) });
    bus.send({ performative: 'inform', sender: 'a', receivers: ['c', 'b'], content: 1 });
    bus.send({ performative: 'inform', sender: 'a', receivers: ['b'], content: 2 });
    bus.send({ performative: 'inform', sender: 'b', receivers: ['c'], content: 3 }, { delay: 1 });
    s.run();
    expect(log).toEqual([
      '1 b <- a inform 1',
      '1 b <- a inform 2',
      '2 c <- a inform 1',
      '3 c <- b inform 3',
    ]);
    expect(bus.stats).toEqual({ sent: 3, delivered: 4, bounced: 0, dropped: 0 });
  });

  it('zero latency delivers within the same step', () => {
    const { s, bus, log } = world();
    s.scheduleOnce(5, () => {
      bus.send({ performative: 'inform', sender: 'a', receivers: ['b'], content: 'now' });
    });
    expect(s.run()).toBe(1);
    expect(log).toEqual(['5 b <- a inform now']);
  });

  it('answers an unknown receiver with a FAILURE from the ams, in the same conversation', () => {
    const { s, bus } = world({ latency: 1 });
    const sent = bus.send({
      performative: 'request',
      sender: 'a',
      receivers: ['ghost', 'b'],
      conversationId: 'c1',
      replyWith: 'r1',
      protocol: 'fipa-request',
    });
    s.run();
    const failure = bus.mailbox('a')!.receive({ performative: 'failure' })!;
    expect(failure).toMatchObject({
      sender: 'ams',
      receivers: ['a'],
      conversationId: 'c1',
      inReplyTo: 'r1',
      protocol: 'fipa-request',
      content: { reason: 'agent-not-found', receiver: 'ghost', message: sent },
    });
    expect(s.time).toBe(2);
    expect(bus.stats).toMatchObject({ sent: 1, delivered: 2, bounced: 1 });
  });

  it('drops an undeliverable message when the sender left too, instead of looping', () => {
    const { s, bus } = world({ latency: 1 });
    bus.send({ performative: 'inform', sender: 'a', receivers: ['ghost'] });
    bus.unregister('a');
    s.run();
    expect(bus.stats).toMatchObject({ bounced: 0, dropped: 1 });
  });

  it('refuses unregistered senders, invalid messages and bad delays with typed errors', () => {
    const { bus } = world();
    expect(() => bus.send({ performative: 'inform', sender: 'zed', receivers: ['a'] })).toThrow(
      DeliveryError,
    );
    expect(() =>
      bus.send({ performative: 'yell' as never, sender: 'a', receivers: ['b'] }),
    ).toThrow(AclError);
    const ok = { performative: 'inform', sender: 'a', receivers: ['b'] } as const;
    expect(() => bus.send(ok, { delay: -1 })).toThrow(DeliveryError);
    expect(() => bus.register('a')).toThrow(/already taken/);
    expect(() => bus.register('ams')).toThrow(/already taken/);
    const { bus: bad } = world({ latency: () => NaN });
    expect(() => bad.send(ok)).toThrow(/latency/);
  });

  it('receive(template) takes only matching messages and leaves the rest', () => {
    const s = new Scheduler();
    const bus = new MessageBus(s);
    bus.register('a');
    const box = bus.register('b');
    for (const [p, c] of [
      ['inform', 'x'],
      ['request', 'y'],
      ['inform', 'z'],
    ] as const) {
      bus.send({ performative: p, sender: 'a', receivers: ['b'], conversationId: c });
    }
    s.run();
    expect(box.peek({ performative: 'request' })?.conversationId).toBe('y');
    expect(box.receive({ conversationId: 'z' })?.conversationId).toBe('z');
    expect(box.receiveAll({ performative: 'inform' }).map((m) => m.conversationId)).toEqual(['x']);
    expect(box.size).toBe(1);
    expect(box.receive()?.performative).toBe('request');
    expect(box.receive()).toBeUndefined();
  });

  it('listeners can unsubscribe, observers see every event', () => {
    const { s, bus } = world({}, ['a', 'b']);
    const seen: AclMessage[] = [];
    const off = bus.mailbox('b')!.onMessage((_b, m) => seen.push(m));
    const events: string[] = [];
    bus.observe((e, m, r) => events.push(`${e}:${m.sender}->${r ?? '*'}`));
    bus.send({ performative: 'inform', sender: 'a', receivers: ['b'] });
    s.run();
    off();
    bus.send({ performative: 'inform', sender: 'a', receivers: ['b', 'nobody'] });
    s.run();
    expect(seen).toHaveLength(1);
    expect(events).toEqual([
      'send:a->*',
      'deliver:a->b',
      'send:a->*',
      'deliver:a->b',
      'bounce:a->nobody',
      'deliver:ams->a',
    ]);
  });

  it('messages in flight and waiting in mailboxes survive snapshot/restore', () => {
    const build = (s: Scheduler) => {
      const bus = new MessageBus(s, { latency: 3 });
      bus.register('a');
      bus.register('b');
      return {};
    };
    const s = new Scheduler();
    build(s);
    const bus = s.agent<MessageBus>('bus')!;
    bus.send({ performative: 'inform', sender: 'a', receivers: ['b'], content: 'first' });
    s.runUntil(1);
    bus.send({ performative: 'inform', sender: 'a', receivers: ['b'], content: 'second' });
    s.runUntil(3.5);
    bus.newConversationId('x');
    const snap = JSON.parse(JSON.stringify(s.snapshot()));
    expect(snap.agents.bus.mailboxes.b).toHaveLength(1);
    expect(snap.events).toHaveLength(1);

    const r = Scheduler.restore(snap, build);
    const rbus = r.agent<MessageBus>('bus')!;
    r.run();
    expect(r.time).toBe(4);
    expect(
      rbus
        .mailbox('b')!
        .receiveAll()
        .map((m) => m.content),
    ).toEqual(['first', 'second']);
    expect(rbus.stats).toEqual({ sent: 2, delivered: 2, bounced: 0, dropped: 0 });
    expect(rbus.newConversationId('x')).toBe('x-2');
  });
});
