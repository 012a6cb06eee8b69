/**
 * What every interaction-protocol role shares: it belongs to an owner agent (whose mailbox it
 * reads), and it registers with the scheduler under an id so its timeouts are serialisable events
 * and its state is part of a snapshot. To resume mid-conversation, rebuild the role inside the
 * `Scheduler.restore` factory with the same `id` (and owner); its state is then reloaded.
 */
import type { AclMessage, MessageTemplate } from '../acl.js';
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
