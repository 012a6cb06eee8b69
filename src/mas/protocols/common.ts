/**
 * What every interaction-protocol role shares: it belongs to an owner agent (whose mailbox it
 * reads), and it registers with the scheduler under an id so its timeouts are serialisable events
 * and its state is part of a snapshot. To resume mid-conversation, rebuild the role inside the
 * `Scheduler.restore` factory with the same `id` (and owner); its state is then reloaded.
 */
import { z } from 'zod';
import { CheckpointError } from '../../core/errors.js';
import {
  AclMessageSchema,
  type AclMessage,
  type AclMessageInit,
  type MessageTemplate,
  type Performative,
} from '../acl.js';
import type { MessageBus, Mailbox } from '../bus.js';
import { ProtocolError } from '../errors.js';
import type { Json } from '../json.js';
import type { Agent, Scheduler } from '../scheduler.js';

/**
 * Priority of protocol timeouts. Deliveries default to priority 0, so at a deadline every
 * message arriving at that very time is handled before the timeout fires: a reply arriving
 * exactly at `replyBy` counts as on time (FIPA: "by" the deadline).
 */
export const TIMEOUT_PRIORITY = 1_000_000;

export interface RoleOptions {
  bus: MessageBus;
  /** The agent (mailbox name) this role speaks for. */
  owner: string;
  /** Scheduler id; give it explicitly when the role must be restored from a snapshot. */
  id?: string;
}

/** A reply decided by a responder callback; `delay` is simulated time spent before sending. */
export interface Reply<P extends string> {
  performative: P;
  content?: Json;
  delay?: number;
}

export abstract class Role implements Agent {
  readonly bus: MessageBus;
  readonly owner: string;
  readonly id: string;
  protected readonly mailbox: Mailbox;
  private detach: (() => void) | null = null;

  protected constructor(options: RoleOptions, defaultId: string) {
    this.bus = options.bus;
    this.owner = options.owner;
    this.id = options.id ?? defaultId;
    const box = this.bus.mailbox(this.owner);
    if (!box) {
      throw new ProtocolError(`${this.constructor.name}: owner '${this.owner}' has no mailbox`);
    }
    this.mailbox = box;
    this.scheduler.register(this.id, this);
    this.listen();
  }

  get scheduler(): Scheduler {
    return this.bus.scheduler;
  }

  /** Messages this role takes from the shared mailbox. */
  protected abstract get template(): MessageTemplate;
  protected abstract handle(msg: AclMessage): void;
  abstract getState(): unknown;
  abstract setState(state: unknown): void;

  protected listen(): void {
    if (this.detach) return;
    this.detach = this.mailbox.onMessage((box) => {
      for (let m = box.receive(this.template); m; m = box.receive(this.template)) this.handle(m);
    });
  }

  /** Stops reading the mailbox and leaves the scheduler (which cancels pending timeouts). */
  protected retire(): void {
    this.detach?.();
    this.detach = null;
    if (this.scheduler.agent(this.id) === this) this.scheduler.unregister(this.id);
  }

  /** Schedules `this.timeout(token)` at `time`; a token that no longer matches is ignored. */
  protected armTimeout(time: number, token: number): void {
    this.scheduler.scheduleOnce(
      Math.max(time, this.scheduler.time),
      { agent: this.id, method: 'timeout', args: [token] },
      { priority: TIMEOUT_PRIORITY },
    );
  }

  /** If `msg` is the platform's "agent-not-found" FAILURE, the receiver that was not found. */
  protected bouncedReceiver(msg: AclMessage): string | undefined {
    if (msg.sender !== this.bus.ams || msg.performative !== 'failure') return undefined;
    const c = msg.content as { reason?: unknown; receiver?: unknown } | undefined;
    return c?.reason === 'agent-not-found' && typeof c.receiver === 'string'
      ? c.receiver
      : undefined;
  }

  /** The agent a response speaks for: its sender, or the missing receiver of a bounce. */
  protected responder(msg: AclMessage): string {
    return this.bouncedReceiver(msg) ?? msg.sender;
  }
}

/** Fields of the opening message (request, cfp) the caller gives; the role fills in the rest. */
export type OpeningInit = Omit<AclMessageInit, 'performative' | 'sender' | 'protocol'>;

export const AclMessageList = z.array(AclMessageSchema);

/** Bookkeeping every initiator state carries, as zod fields to spread into its schema. */
export const initiatorStateFields = {
  conversationId: z.string().min(1),
  /** Incremented whenever a pending timeout must no longer fire (see `stale`). */
  timer: z.number().int(),
  /** Distinct receivers of the opening message. */
  responders: z.array(z.string()),
};

export interface InitiatorState {
  /** 'idle' before start(), 'done' once ended; protocols name the phases in between. */
  phase: string;
  conversationId: string;
  timer: number;
  responders: string[];
}

export interface InitiatorOptions extends RoleOptions {
  /** Conversation id; a fresh one from the bus by default. */
  conversationId?: string;
}

/**
 * The conversation side both initiators (request, contract net) share: the conversation id and
 * role id, sending the opening message with its deadline, stale-timeout tokens, which responders
 * have answered, ending the conversation, and snapshot state validated by the protocol's schema.
 */
export abstract class Initiator<S extends InitiatorState> extends Role {
  protected state: S;

  protected constructor(
    options: InitiatorOptions,
    private readonly protocol: string,
    /** Prefix tag of generated conversation ids ('req' -> 'alice-req-1'). */
    tag: string,
    private readonly stateSchema: z.ZodType<S>,
    initial: (conversationId: string) => S,
  ) {
    const conversationId =
      options.conversationId ?? options.bus.newConversationId(`${options.owner}-${tag}`);
    super(options, `${options.owner}/${protocol}/${conversationId}`);
    this.state = initial(conversationId);
  }

  get conversationId(): string {
    return this.state.conversationId;
  }

  get done(): boolean {
    return this.state.phase === 'done';
  }

  getState(): S {
    return this.state;
  }

  setState(state: unknown): void {
    const parsed = this.stateSchema.safeParse(state);
    if (!parsed.success) {
      throw new CheckpointError(
        `restore: malformed state for '${this.id}': ${parsed.error.message}`,
      );
    }
    this.state = parsed.data;
    if (this.state.phase === 'done') this.retire();
  }

  /**
   * Sends the opening message and enters `phase`. The deadline is the message's own replyBy,
   * else `relativeDeadline` after now, else none (wait for every responder); when there is one
   * it is sent as replyBy and armed as a timeout. The message's replyWith defaults to
   * `<conversationId>-<replyWithTag>`. Returns the sent message and the deadline.
   */
  protected open(
    init: OpeningInit,
    how: {
      performative: Performative;
      replyWithTag: string;
      relativeDeadline: number | undefined;
      phase: S['phase'];
    },
  ): { sent: AclMessage; deadline: number | undefined } {
    const s = this.state;
    if (s.phase !== 'idle') throw new ProtocolError(`${this.id}: started twice`);
    const relative = how.relativeDeadline;
    const deadline = init.replyBy ?? (relative === undefined ? undefined : this.bus.now + relative);
    const sent = this.bus.send({
      ...init,
      performative: how.performative,
      sender: this.owner,
      protocol: this.protocol,
      conversationId: s.conversationId,
      replyWith: init.replyWith ?? `${s.conversationId}-${how.replyWithTag}`,
      replyBy: deadline,
    });
    s.phase = how.phase;
    s.responders = [...new Set(sent.receivers)];
    if (deadline !== undefined) this.armTimeout(deadline, ++s.timer);
    return { sent, deadline };
  }

  /** A timeout whose token was superseded (the conversation moved on or ended). */
  protected stale(token: number): boolean {
    return token !== this.state.timer;
  }

  /** Whether `list` holds a message speaking for `who` (see `responder`). */
  protected answeredIn(list: readonly AclMessage[], who: string): boolean {
    return list.some((m) => this.responder(m) === who);
  }

  /** Responders with no message in `list`. */
  protected pendingIn(list: readonly AclMessage[]): string[] {
    return this.state.responders.filter((r) => !this.answeredIn(list, r));
  }

  /**
   * Ends the conversation: pending timeouts go stale, `report` runs (the protocol's final
   * callbacks), then the role leaves the mailbox and the scheduler.
   */
  protected close(report: () => void): void {
    this.state.phase = 'done';
    this.state.timer++;
    report();
    this.retire();
  }
}
