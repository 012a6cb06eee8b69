import { describe, expect, it } from 'vitest';
import {
  AclError,
  createMessage,
  createReply,
  matches,
  PERFORMATIVES,
  type AclMessage,
} from '../../src/mas/index.js';

const base = { sender: 'manager', receivers: ['w1'] } as const;

describe('AclMessage', () => {
  it('has exactly the 22 FIPA performatives', () => {
    expect(PERFORMATIVES).toHaveLength(22);
    expect(new Set(PERFORMATIVES).size).toBe(22);
    for (const p of PERFORMATIVES)
      expect(createMessage({ ...base, performative: p }).performative).toBe(p);
  });

  it('keeps every slot and drops undefined ones', () => {
    const m = createMessage({
      ...base,
      performative: 'request',
      replyTo: ['secretary'],
      content: { action: 'paint', colours: ['red', 1, null, true] },
      language: 'json',
      encoding: 'utf-8',
      ontology: 'painting',
      protocol: 'fipa-request',
      conversationId: 'c1',
      replyWith: 'r1',
      inReplyTo: undefined,
      replyBy: 12.5,
    });
    expect(m.content).toEqual({ action: 'paint', colours: ['red', 1, null, true] });
    expect('inReplyTo' in m).toBe(false);
    expect(Object.isFrozen(m) && Object.isFrozen(m.receivers)).toBe(true);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it.each([
    ['unknown performative', { ...base, performative: 'shout' }, 'performative'],
    ['unknown slot', { ...base, performative: 'inform', colour: 'red' }, 'colour'],
    ['no receivers', { ...base, performative: 'inform', receivers: [] }, 'receivers'],
    ['empty sender', { ...base, performative: 'inform', sender: '' }, 'sender'],
    ['NaN replyBy', { ...base, performative: 'inform', replyBy: NaN }, 'replyBy'],
    ['non-JSON content', { ...base, performative: 'inform', content: new Date(0) }, 'content'],
    [
      'proto key',
      JSON.parse('{"performative":"inform","sender":"a","receivers":["b"],"__proto__":{"x":1}}'),
      '__proto__',
    ],
  ])('rejects %s with an AclError naming the slot', (_name, fields, slot) => {
    expect(() => createMessage(fields)).toThrow(AclError);
    expect(() => createMessage(fields)).toThrow(slot);
  });
});

describe('createReply', () => {
  const request = createMessage({
    performative: 'request',
    sender: 'manager',
    receivers: ['w1'],
    content: 'job',
    language: 'json',
    ontology: 'jobs',
    protocol: 'fipa-request',
    conversationId: 'conv-7',
    replyWith: 'req-1',
    replyBy: 5,
  });

  it('fills conversation, in-reply-to, protocol and receivers as JADE does', () => {
    const r = createReply(request, 'agree', 'ok');
    expect(r).toEqual({
      performative: 'agree',
      sender: 'w1',
      receivers: ['manager'],
      content: 'ok',
      language: 'json',
      ontology: 'jobs',
      protocol: 'fipa-request',
      conversationId: 'conv-7',
      inReplyTo: 'req-1',
    });
  });

  it('replies to reply-to when given, and needs a sender for multi-receiver messages', () => {
    const m = createMessage({ ...request, receivers: ['w1', 'w2'], replyTo: ['desk'] });
    expect(() => createReply(m, 'refuse')).toThrow(/several receivers/);
    const r = createReply(m, 'refuse', undefined, { sender: 'w2', replyWith: 'x' });
    expect(r.receivers).toEqual(['desk']);
    expect(r.sender).toBe('w2');
    expect(r.replyWith).toBe('x');
  });
});

describe('matches (MessageTemplate)', () => {
  const m: AclMessage = createMessage({
    performative: 'propose',
    sender: 'w1',
    receivers: ['manager'],
    conversationId: 'c',
    inReplyTo: 'cfp-1',
    protocol: 'fipa-contract-net',
  });
  it.each([
    [{}, true],
    [{ performative: 'propose' as const }, true],
    [{ performative: ['refuse', 'propose'] as const }, true],
    [{ performative: 'refuse' as const }, false],
    [{ sender: 'w1', conversationId: 'c', inReplyTo: 'cfp-1' }, true],
    [{ sender: ['w2', 'w3'] }, false],
    [{ conversationId: 'd' }, false],
    [{ protocol: 'fipa-contract-net', ontology: 'x' }, false],
  ])('%j -> %s', (template, expected) => {
    expect(matches(m, template)).toBe(expected);
  });
  it('accepts a predicate', () => {
    expect(matches(m, (x) => x.sender.startsWith('w'))).toBe(true);
  });
});
