/**
 * FIPA-ACL messages (FIPA SC00061G), in-process form.
 *
 * Agent identifiers are plain names (the `name` slot of a FIPA AID); the bus is the only
 * transport, so AID addresses are not needed. Content is any JSON value rather than an SL string:
 * messages in flight are part of a checkpoint and must serialise, and structured content spares
 * every agent a parser. `replyBy` is a time on the scheduler's clock, not a wall-clock date.
 */
import { z } from 'zod';
import { AclError } from './errors.js';
import type { Json } from './json.js';

/** The 22 communicative acts of the FIPA Communicative Act Library (SC00037J). */
export const PERFORMATIVES = [
  'accept-proposal',
  'agree',
  'cancel',
  'cfp',
  'confirm',
  'disconfirm',
  'failure',
  'inform',
  'inform-if',
  'inform-ref',
  'not-understood',
  'propagate',
  'propose',
  'proxy',
  'query-if',
  'query-ref',
  'refuse',
  'reject-proposal',
  'request',
  'request-when',
  'request-whenever',
  'subscribe',
] as const;

export type Performative = (typeof PERFORMATIVES)[number];

const AgentName = z.string().min(1);
const Slot = z.string().min(1).optional();

export const AclMessageSchema = z.strictObject({
  performative: z.enum(PERFORMATIVES),
  sender: AgentName,
  receivers: z.array(AgentName).min(1),
  /** Where replies go instead of `sender` (FIPA reply-to). */
  replyTo: z.array(AgentName).min(1).optional(),
  content: z.json().optional(),
  language: Slot,
  encoding: Slot,
  ontology: Slot,
  protocol: Slot,
  conversationId: Slot,
  replyWith: Slot,
  inReplyTo: Slot,
  /** Latest simulated time at which a reply is useful. */
  replyBy: z.number().finite().optional(),
});

export type AclMessage = z.infer<typeof AclMessageSchema>;
/** What callers write: content typed as Json, lists may be readonly. */
export type AclMessageInit = Omit<AclMessage, 'content' | 'receivers' | 'replyTo'> & {
  receivers: readonly string[];
  replyTo?: readonly string[];
  content?: Json;
};

/** Validates `fields` and returns a frozen AclMessage; throws AclError naming the bad slots. */
export function createMessage(fields: AclMessageInit | unknown): AclMessage {
  const parsed = AclMessageSchema.safeParse(fields);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`)
      .join('; ');
    throw new AclError(`invalid ACL message: ${issues}`);
  }
  // Optional slots passed as `undefined` are dropped so messages compare and serialise cleanly.
  const msg = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
  return deepFreeze(msg as AclMessage);
}

/**
 * A reply to `msg`, filled in as JADE's ACLMessage.createReply(): receivers are `msg.replyTo` if
 * set, else `msg.sender`; conversation-id, protocol, language, encoding and ontology are copied;
 * in-reply-to is `msg.replyWith`. The sender is the single receiver of `msg`, or must be given
 * when `msg` went to several agents.
 */
export function createReply(
  msg: AclMessage,
  performative: Performative,
  content?: Json,
  options: { sender?: string; replyWith?: string; replyBy?: number } = {},
): AclMessage {
  const sender = options.sender ?? (msg.receivers.length === 1 ? msg.receivers[0] : undefined);
  if (sender === undefined) {
    throw new AclError(
      `createReply: message to [${msg.receivers.join(', ')}] has several receivers; ` +
        'pass options.sender to say which one replies',
    );
  }
  return createMessage({
    performative,
    sender,
    receivers: [...(msg.replyTo ?? [msg.sender])],
    content,
    language: msg.language,
    encoding: msg.encoding,
    ontology: msg.ontology,
    protocol: msg.protocol,
    conversationId: msg.conversationId,
    inReplyTo: msg.replyWith,
    replyWith: options.replyWith,
    replyBy: options.replyBy,
  });
}

/**
 * A receive filter, as JADE's MessageTemplate: every given slot must match (a list means any of
 * its values); a function is applied as-is.
 */
export type MessageTemplate =
  | {
      performative?: Performative | readonly Performative[];
      sender?: string | readonly string[];
      conversationId?: string;
      inReplyTo?: string;
      protocol?: string;
      ontology?: string;
    }
  | ((msg: AclMessage) => boolean);

const oneOf = <T>(want: T | readonly T[] | undefined, got: T | undefined): boolean =>
  want === undefined ||
  (Array.isArray(want) ? (want as readonly T[]).includes(got as T) : want === got);

export function matches(msg: AclMessage, template: MessageTemplate | undefined): boolean {
  if (template === undefined) return true;
  if (typeof template === 'function') return template(msg);
  return (
    oneOf(template.performative, msg.performative) &&
    oneOf(template.sender, msg.sender) &&
    oneOf(template.conversationId, msg.conversationId) &&
    oneOf(template.inReplyTo, msg.inReplyTo) &&
    oneOf(template.protocol, msg.protocol) &&
    oneOf(template.ontology, msg.ontology)
  );
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
