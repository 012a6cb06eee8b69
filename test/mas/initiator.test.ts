import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/core/errors.js';
import {
  ContractNetInitiator,
  MessageBus,
  ProtocolError,
  RequestInitiator,
  Scheduler,
  type AclMessage,
} from '../../src/mas/index.js';

/*
 * The bookkeeping both initiators share (protocols/common.ts `Initiator`), checked once per
 * initiator: the opening message, the deadline as replyBy and as a timeout, starting twice,
 * stale timeouts, and snapshot state validation.
 */
function world() {
  const scheduler = new Scheduler();
  const bus = new MessageBus(scheduler, { latency: 1 });
  for (const name of ['boss', 'w1', 'w2']) bus.register(name);
  return { scheduler, bus };
}

const kinds = {
  request: (bus: MessageBus, onEnd: (missing: string[]) => void) =>
    new RequestInitiator({ bus, owner: 'boss', timeout: 5 }, { onEnd: (r) => onEnd(r.missing) }),
  'contract-net': (bus: MessageBus, onEnd: (missing: string[]) => void) =>
    new ContractNetInitiator(
      { bus, owner: 'boss', deadline: 5 },
      { handleAllResponses: () => [], onEnd: (r) => onEnd(r.missing) },
    ),
};

for (const [kind, build] of Object.entries(kinds)) {
  describe(`${kind} initiator bookkeeping`, () => {
    it('sends to distinct receivers with a relative deadline as replyBy and a default replyWith', () => {
      const { scheduler, bus } = world();
      let missing: string[] | null = null;
      const init = build(bus, (m) => (missing = m));
      const sent: AclMessage = init.start({ receivers: ['w1', 'w2', 'w1'] });
      expect(sent.replyBy).toBe(5);
      expect(sent.replyWith).toBe(`${init.conversationId}-${kind === 'request' ? 'req' : 'cfp'}`);
      expect(sent.conversationId).toBe(init.conversationId);
      expect(init.id).toBe(`boss/${sent.protocol}/${init.conversationId}`);
      expect(init.getState().responders).toEqual(['w1', 'w2']);
      scheduler.run();
      // Nobody reads w1's and w2's mailboxes: the deadline ends the conversation at t = 5.
      expect(scheduler.time).toBe(5);
      expect(init.done).toBe(true);
      expect(missing).toEqual(['w1', 'w2']);
    });

    it('starting twice is a ProtocolError naming the role', () => {
      const { bus } = world();
      const init = build(bus, () => {});
      init.start({ receivers: ['w1'] });
      expect(() => init.start({ receivers: ['w1'] })).toThrow(ProtocolError);
      expect(() => init.start({ receivers: ['w1'] })).toThrow(init.id);
    });

    it('a superseded timeout token is ignored', () => {
      const { bus } = world();
      let ended = 0;
      const init = build(bus, () => ended++);
      init.start({ receivers: ['w1'] });
      const token = init.getState().timer;
      init.timeout(token - 1);
      expect(init.done).toBe(false);
      init.timeout(token);
      expect([init.done, ended]).toEqual([true, 1]);
      init.timeout(token); // closing bumped the token: a repeat is stale
      expect(ended).toBe(1);
    });

    it('setState rejects malformed state with a CheckpointError naming the role', () => {
      const { bus } = world();
      const init = build(bus, () => {});
      const good = structuredClone(init.getState());
      expect(() => init.setState({ ...good, timer: 1.5 })).toThrow(CheckpointError);
      expect(() => init.setState({ ...good, extra: 1 })).toThrow(init.id);
      expect(() => init.setState({ ...good, conversationId: '' })).toThrow(CheckpointError);
      init.setState({ ...good, phase: 'done' });
      expect(init.done).toBe(true);
      expect(bus.scheduler.agent(init.id)).toBeUndefined();
    });
  });
}
