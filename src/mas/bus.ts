/**
 * An in-process message transport driven by the scheduler's clock (the job of JADE's MTS/ACC).
 *
 * `send` validates the message and schedules one delivery event per receiver at
 * `now + delay + latency`; deliveries are ordinary scheduler events targeting the bus itself, so
 * messages in flight are part of a snapshot and arrive in (time, priority, send order).
 *
 * Unknown receivers: following FIPA's Agent Management spec (SC00023K, the ACC "returns a failure
 * message to the sender"), and as JADE's AMS does, a message whose receiver has no mailbox at
 * delivery time is answered with a FAILURE from the platform agent (`ams`) to the original sender,
 * in the same conversation, with content `{ reason: 'agent-not-found', receiver, message }`.
 * NOT-UNDERSTOOD would be wrong here: it says a receiver read the message and could not parse it.
 * A message from an unregistered sender is refused at `send` with a DeliveryError, since there
 * would be nobody to report a failure to.
 */
import { CheckpointError } from '../core/errors.js';
import { z } from 'zod';
import { AclMessageSchema, createMessage, matches } from './acl.js';
import type { AclMessage, AclMessageInit, MessageTemplate } from './acl.js';
import { DeliveryError } from './errors.js';
import type { Json } from './json.js';
import type { Agent, Scheduler } from './scheduler.js';

export type Latency = number | ((msg: AclMessage, receiver: string) => number);

export interface BusOptions {
  /** Id under which the bus registers with the scheduler. Default 'bus'. */
  id?: string;
  /** Name of the platform agent that reports undeliverable messages. Default 'ams'. */
  ams?: string;
  /** Simulated transit time per receiver. Default 0 (delivered in the same step). */
  latency?: Latency;
  /** Scheduler priority of delivery events. Default 0. */
  priority?: number;
}

export type MessageListener = (mailbox: Mailbox, msg: AclMessage) => void;
export type BusEvent = 'send' | 'deliver' | 'bounce' | 'drop';
export type BusObserver = (event: BusEvent, msg: AclMessage, receiver?: string) => void;

/**
 * An agent's message queue. Messages wait here until taken with `receive(template)`, as in JADE;
 * listeners are woken on each arrival and take what matches their own template, so several
 * protocol roles can share one mailbox without stealing each other's messages.
 */
export class Mailbox {
  private queue: AclMessage[] = [];
  private readonly listeners: MessageListener[] = [];

  constructor(readonly name: string) {}

  get size(): number {
    return this.queue.length;
  }

  /** Removes and returns the oldest message matching `template`. */
  receive(template?: MessageTemplate): AclMessage | undefined {
    const i = this.queue.findIndex((m) => matches(m, template));
    return i < 0 ? undefined : this.queue.splice(i, 1)[0];
  }

  /** Removes and returns every message matching `template`, oldest first. */
  receiveAll(template?: MessageTemplate): AclMessage[] {
    const taken = this.queue.filter((m) => matches(m, template));
    this.queue = this.queue.filter((m) => !matches(m, template));
    return taken;
  }

  peek(template?: MessageTemplate): AclMessage | undefined {
    return this.queue.find((m) => matches(m, template));
  }

  /** Calls `listener` after each arrival; returns a function that removes it. */
  onMessage(listener: MessageListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** @internal used by the bus. */
  put(msg: AclMessage): void {
    this.queue.push(msg);
    for (const l of [...this.listeners]) l(this, msg);
  }

  /** @internal used by snapshots. */
  contents(): AclMessage[] {
    return [...this.queue];
  }

  /** @internal used by restore; does not wake listeners (they saw these before the snapshot). */
  load(messages: readonly unknown[]): void {
    this.queue = messages.map((m) => createMessage(m));
  }
}

const count = z.number().int().nonnegative();
const BusStateSchema = z.strictObject({
  conversations: count,
  stats: z.strictObject({ sent: count, delivered: count, bounced: count, dropped: count }),
  mailboxes: z.record(z.string(), z.array(AclMessageSchema)),
});
type BusState = z.infer<typeof BusStateSchema>;

export class MessageBus implements Agent {
  readonly id: string;
  readonly ams: string;
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly observers: BusObserver[] = [];
  private readonly latency: Latency;
  private readonly priority: number;
  private conversations = 0;
  readonly stats = { sent: 0, delivered: 0, bounced: 0, dropped: 0 };

  constructor(
    readonly scheduler: Scheduler,
    options: BusOptions = {},
  ) {
    this.id = options.id ?? 'bus';
    this.ams = options.ams ?? 'ams';
    this.latency = options.latency ?? 0;
    this.priority = options.priority ?? 0;
    scheduler.register(this.id, this);
  }

  /** Simulated now (the scheduler's clock). */
  get now(): number {
    return this.scheduler.time;
  }

  register(name: string): Mailbox {
    if (!name) throw new DeliveryError('register: mailbox name must be a non-empty string');
    if (name === this.ams || this.mailboxes.has(name)) {
      throw new DeliveryError(`register: mailbox name '${name}' is already taken`);
    }
    const box = new Mailbox(name);
    this.mailboxes.set(name, box);
    return box;
  }

  /** Removes a mailbox; messages still in transit to it will bounce back as FAILURE. */
  unregister(name: string): void {
    if (!this.mailboxes.delete(name)) throw new DeliveryError(`unregister: no mailbox '${name}'`);
  }

  mailbox(name: string): Mailbox | undefined {
    return this.mailboxes.get(name);
  }

  /** A fresh, deterministic conversation id (the counter is part of the snapshot). */
  newConversationId(prefix: string): string {
    return `${prefix}-${++this.conversations}`;
  }

  /** Observes every send/deliver/bounce/drop, e.g. to log a trace; returns an unsubscribe. */
  observe(observer: BusObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  /**
   * Validates and sends `msg`; each receiver gets it after `delay` (the sender's own processing
   * time) plus the bus latency. Returns the validated, frozen message.
   */
  send(msg: AclMessageInit | AclMessage, options: { delay?: number } = {}): AclMessage {
    const m = createMessage(msg);
    if (!this.mailboxes.has(m.sender)) {
      throw new DeliveryError(`send: sender '${m.sender}' has no mailbox on bus '${this.id}'`);
    }
    const delay = options.delay ?? 0;
    if (!(Number.isFinite(delay) && delay >= 0)) {
      throw new DeliveryError(`send: delay must be finite and >= 0, got ${delay}`);
    }
    this.stats.sent++;
    this.emit('send', m);
    for (const r of m.receivers) this.dispatch(m, r, delay);
    return m;
  }

  /** Scheduler event: hands `msg` to `receiver`'s mailbox or bounces it. Not for direct use. */
  deliver(receiver: string, message: AclMessage): void {
    // Re-validated because after a restore it comes from a checkpoint file, not from send().
    const msg = createMessage(message);
    const box = this.mailboxes.get(receiver);
    if (box) {
      this.stats.delivered++;
      this.emit('deliver', msg, receiver);
      box.put(msg);
      return;
    }
    if (msg.sender === this.ams || !this.mailboxes.has(msg.sender)) {
      // Nobody to tell: the sender left, or this is already a platform failure notice.
      this.stats.dropped++;
      this.emit('drop', msg, receiver);
      return;
    }
    this.stats.bounced++;
    this.emit('bounce', msg, receiver);
    const failure = createMessage({
      performative: 'failure',
      sender: this.ams,
      receivers: [msg.sender],
      content: { reason: 'agent-not-found', receiver, message: msg as unknown as Json },
      protocol: msg.protocol,
      conversationId: msg.conversationId,
      inReplyTo: msg.replyWith,
    });
    this.dispatch(failure, msg.sender, 0);
  }

  getState(): BusState {
    const mailboxes: Record<string, AclMessage[]> = {};
    for (const [name, box] of this.mailboxes) mailboxes[name] = box.contents();
    return { conversations: this.conversations, stats: { ...this.stats }, mailboxes };
  }

  setState(state: unknown): void {
    const parsed = BusStateSchema.safeParse(state);
    if (!parsed.success) {
      throw new CheckpointError(
        `restore: malformed state for bus '${this.id}': ${parsed.error.message}`,
      );
    }
    const s = parsed.data;
    for (const name of Object.keys(s.mailboxes)) {
      if (!this.mailboxes.has(name)) {
        throw new CheckpointError(`restore: bus '${this.id}' has no mailbox '${name}' to refill`);
      }
    }
    for (const [name, box] of this.mailboxes) box.load(s.mailboxes[name] ?? []);
    this.conversations = s.conversations;
    Object.assign(this.stats, s.stats);
  }

  private dispatch(msg: AclMessage, receiver: string, delay: number): void {
    const latency = typeof this.latency === 'function' ? this.latency(msg, receiver) : this.latency;
    if (!(Number.isFinite(latency) && latency >= 0)) {
      throw new DeliveryError(
        `send: latency to '${receiver}' must be finite and >= 0, got ${latency}`,
      );
    }
    this.scheduler.scheduleOnce(
      this.scheduler.time + delay + latency,
      { agent: this.id, method: 'deliver', args: [receiver, msg as unknown as Json] },
      { priority: this.priority },
    );
  }

  private emit(event: BusEvent, msg: AclMessage, receiver?: string): void {
    for (const o of this.observers) o(event, msg, receiver);
  }
}
