/**
 * FIPA Request Interaction Protocol (SC00026H), as JADE's AchieveREInitiator/Responder:
 *
 *   initiator --request--> responders
 *   responder --refuse | not-understood--> initiator          (ends that responder's branch)
 *   responder --agree--> initiator, later --inform | failure-->  (agree may be skipped)
 *
 * The request's replyBy (or the `timeout` option) bounds the whole exchange on the simulated
 * clock; whoever has not finished by then is reported as `missing`.
 */
import { z } from 'zod';
import { createReply, type AclMessage } from '../acl.js';
import type { MessageTemplate } from '../acl.js';
import {
  AclMessageList,
  Initiator,
  initiatorStateFields,
  Role,
  type InitiatorOptions,
  type OpeningInit,
  type Reply,
  type RoleOptions,
} from './common.js';

export const REQUEST = 'fipa-request';

export interface RequestResult {
  conversationId: string;
  /** agree, refuse, not-understood (and platform failures for unknown receivers). */
  responses: AclMessage[];
  /** inform and failure result notifications. */
  notifications: AclMessage[];
  /** Responders that had not finished by the deadline. */
  missing: string[];
}

export interface RequestInitiatorHandlers {
  handleAgree?(agree: AclMessage): void;
  handleRefuse?(refuse: AclMessage): void;
  handleNotUnderstood?(msg: AclMessage): void;
  handleInform?(inform: AclMessage): void;
  handleFailure?(failure: AclMessage): void;
  handleOutOfSequence?(msg: AclMessage): void;
  /** Once every responder has given its first answer (or at the deadline). */
  handleAllResponses?(responses: AclMessage[]): void;
  handleAllResultNotifications?(notifications: AclMessage[], info: { missing: string[] }): void;
  onEnd?(result: RequestResult): void;
}

export interface RequestInitiatorOptions extends InitiatorOptions {
  /** Deadline relative to start(), used when the request has no replyBy. */
  timeout?: number;
}

const StateSchema = z.strictObject({
  phase: z.enum(['idle', 'running', 'done']),
  ...initiatorStateFields,
  responses: AclMessageList,
  notifications: AclMessageList,
  allResponsesReported: z.boolean(),
  missing: z.array(z.string()),
});
type State = z.infer<typeof StateSchema>;

const ENDS_BRANCH = new Set(['refuse', 'not-understood', 'failure']);

export class RequestInitiator extends Initiator<State> {
  private readonly timeoutAfter: number | undefined;

  constructor(
    options: RequestInitiatorOptions,
    private readonly handlers: RequestInitiatorHandlers = {},
  ) {
    super(options, REQUEST, 'req', StateSchema, (conversationId) => ({
      phase: 'idle',
      conversationId,
      timer: 0,
      responders: [],
      responses: [],
      notifications: [],
      allResponsesReported: false,
      missing: [],
    }));
    this.timeoutAfter = options.timeout;
  }

  start(request: OpeningInit): AclMessage {
    return this.open(request, {
      performative: 'request',
      replyWithTag: 'req',
      relativeDeadline: this.timeoutAfter,
      phase: 'running',
    }).sent;
  }

  timeout(token: number): void {
    if (this.stale(token) || this.state.phase !== 'running') return;
    this.state.missing = this.state.responders.filter((r) => !this.finished(r));
    this.finish();
  }

  result(): RequestResult {
    const s = this.state;
    return {
      conversationId: s.conversationId,
      responses: [...s.responses],
      notifications: [...s.notifications],
      missing: [...s.missing],
    };
  }

  protected get template(): MessageTemplate {
    return {
      conversationId: this.state.conversationId,
      performative: ['agree', 'refuse', 'not-understood', 'inform', 'failure'],
    };
  }

  protected handle(msg: AclMessage): void {
    const s = this.state;
    const who = this.responder(msg);
    const h = this.handlers;
    const isResult = msg.performative === 'inform' || msg.performative === 'failure';
    const bounced = this.bouncedReceiver(msg) !== undefined;
    if (s.phase !== 'running' || !s.responders.includes(who) || this.finished(who)) {
      h.handleOutOfSequence?.(msg);
      return;
    }
    if (isResult && !bounced) {
      s.notifications.push(msg);
      if (msg.performative === 'inform') h.handleInform?.(msg);
      else h.handleFailure?.(msg);
    } else if (!this.answered(who)) {
      s.responses.push(msg);
      if (msg.performative === 'agree') h.handleAgree?.(msg);
      else if (msg.performative === 'refuse') h.handleRefuse?.(msg);
      else if (msg.performative === 'not-understood') h.handleNotUnderstood?.(msg);
      else h.handleFailure?.(msg);
    } else {
      h.handleOutOfSequence?.(msg);
      return;
    }
    this.reportAllResponses();
    if (s.responders.every((r) => this.finished(r))) this.finish();
  }

  /** Gave a first answer: any response, or a result sent without a prior agree. */
  private answered(who: string): boolean {
    return (
      this.answeredIn(this.state.responses, who) || this.answeredIn(this.state.notifications, who)
    );
  }

  private finished(who: string): boolean {
    const from = (m: AclMessage) => this.responder(m) === who;
    return (
      this.answeredIn(this.state.notifications, who) ||
      this.state.responses.some((m) => from(m) && ENDS_BRANCH.has(m.performative))
    );
  }

  private reportAllResponses(): void {
    const s = this.state;
    if (s.allResponsesReported || !s.responders.every((r) => this.answered(r))) return;
    s.allResponsesReported = true;
    this.handlers.handleAllResponses?.([...s.responses]);
  }

  private finish(): void {
    const s = this.state;
    if (!s.allResponsesReported) {
      s.allResponsesReported = true;
      this.handlers.handleAllResponses?.([...s.responses]);
    }
    this.close(() =>
      this.handlers.handleAllResultNotifications?.([...s.notifications], {
        missing: [...s.missing],
      }),
    );
    this.handlers.onEnd?.(this.result());
  }
}

export interface RequestResponderHandlers {
  /** agree / refuse / not-understood; `null` skips the agree and goes straight to the result. */
  handleRequest(request: AclMessage): Reply<'agree' | 'refuse' | 'not-understood'> | null;
  /** The result after agreeing (or directly); its delay counts from after the agree. */
  prepareResultNotification(request: AclMessage, agree?: AclMessage): Reply<'inform' | 'failure'>;
}

/** Stateless: each request is answered when it arrives, so nothing needs saving. */
export class RequestResponder extends Role {
  constructor(
    options: RoleOptions,
    private readonly handlers: RequestResponderHandlers,
  ) {
    super(options, `${options.owner}/${REQUEST}-responder`);
  }

  getState(): null {
    return null;
  }

  setState(): void {}

  protected get template(): MessageTemplate {
    return { protocol: REQUEST, performative: 'request' };
  }

  protected handle(request: AclMessage): void {
    const me = { sender: this.owner };
    const first = this.handlers.handleRequest(request);
    let agree: AclMessage | undefined;
    const firstDelay = first?.delay ?? 0;
    if (first !== null) {
      const reply = createReply(request, first.performative, first.content, me);
      this.bus.send(reply, { delay: firstDelay });
      if (first.performative !== 'agree') return;
      agree = reply;
    }
    const result = this.handlers.prepareResultNotification(request, agree);
    const delay = firstDelay + (result.delay ?? 0);
    this.bus.send(createReply(request, result.performative, result.content, me), { delay });
  }
}
