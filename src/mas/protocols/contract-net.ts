/**
 * FIPA Contract Net Interaction Protocol (SC00029H), initiator and responder roles named and
 * shaped after JADE's ContractNetInitiator / ContractNetResponder.
 *
 *   initiator --cfp (replyBy = deadline)--> responders
 *   responders --propose | refuse | not-understood--> initiator      (by the deadline)
 *   initiator --accept-proposal | reject-proposal--> proposers
 *   accepted  --inform (done or result) | failure--> initiator
 *
 * Timeouts run on the simulated clock. At the deadline the initiator decides with whatever has
 * arrived; responders still silent are reported as `missing`, and answers arriving later are
 * reported as `late` (handleLateResponse) and never evaluated — a late proposal gets a
 * reject-proposal so its sender can free what it reserved. Proposals the decision does not
 * mention are rejected too, so no proposer is left waiting.
 */
import { z } from 'zod';
import { createReply, type AclMessage } from '../acl.js';
import type { MessageTemplate } from '../acl.js';
import type { Json } from '../json.js';
import {
  AclMessageList,
  Initiator,
  initiatorStateFields,
  type InitiatorOptions,
  type OpeningInit,
} from './common.js';

export { ContractNetResponder } from './contract-net-responder.js';
export type { ContractNetResponderHandlers } from './contract-net-responder.js';

export const CONTRACT_NET = 'fipa-contract-net';

export interface Decision {
  proposal: AclMessage;
  accept: boolean;
  content?: Json;
}

export interface ContractNetResult {
  conversationId: string;
  proposals: AclMessage[];
  /** refuse, not-understood and failure answers to the cfp (including platform bounces). */
  refusals: AclMessage[];
  /** Responders with no answer by the deadline. */
  missing: string[];
  /** Answers that arrived after the deadline and were ignored. */
  late: AclMessage[];
  /** Responders whose proposal was accepted. */
  accepted: string[];
  informs: AclMessage[];
  failures: AclMessage[];
  /** Accepted responders with no inform/failure by the result timeout. */
  resultMissing: string[];
}

export interface ContractNetInitiatorHandlers {
  handlePropose?(propose: AclMessage): void;
  handleRefuse?(refuse: AclMessage): void;
  handleNotUnderstood?(msg: AclMessage): void;
  handleInform?(inform: AclMessage): void;
  /** A failure: from a winner, or the platform reporting a receiver that does not exist. */
  handleFailure?(failure: AclMessage): void;
  handleLateResponse?(msg: AclMessage): void;
  handleOutOfSequence?(msg: AclMessage): void;
  /** Called once, at the deadline or when every responder has answered; returns decisions. */
  handleAllResponses(
    responses: AclMessage[],
    info: { proposals: AclMessage[]; missing: string[] },
  ): Decision[];
  handleAllResultNotifications?(notifications: AclMessage[], info: { missing: string[] }): void;
  onEnd?(result: ContractNetResult): void;
}

export interface ContractNetInitiatorOptions extends InitiatorOptions {
  /**
   * Proposal deadline relative to start(), sent as the cfp's replyBy (a replyBy already on the
   * cfp wins). Without either, the initiator waits for every responder.
   */
  deadline?: number;
  /** How long after acceptance to wait for results; none means wait for all. */
  resultTimeout?: number;
}

export type CfpInit = OpeningInit;

const StateSchema = z.strictObject({
  phase: z.enum(['idle', 'proposals', 'results', 'done']),
  ...initiatorStateFields,
  deadline: z.number().nullable(),
  responses: AclMessageList,
  late: AclMessageList,
  missing: z.array(z.string()),
  accepted: z.array(z.string()),
  notifications: AclMessageList,
  resultMissing: z.array(z.string()),
});
type State = z.infer<typeof StateSchema>;

const FIRST = ['propose', 'refuse', 'not-understood'] as const;
const RESULT = ['inform', 'failure'] as const;

export class ContractNetInitiator extends Initiator<State> {
  private readonly timing: { deadline?: number; resultTimeout?: number };

  constructor(
    options: ContractNetInitiatorOptions,
    private readonly handlers: ContractNetInitiatorHandlers,
  ) {
    super(options, CONTRACT_NET, 'cnet', StateSchema, (conversationId) => ({
      phase: 'idle',
      conversationId,
      deadline: null,
      timer: 0,
      responders: [],
      responses: [],
      late: [],
      missing: [],
      accepted: [],
      notifications: [],
      resultMissing: [],
    }));
    this.timing = { deadline: options.deadline, resultTimeout: options.resultTimeout };
  }

  /** Sends the cfp to its receivers and starts the proposal deadline. Returns the sent cfp. */
  start(cfp: CfpInit): AclMessage {
    const { sent, deadline } = this.open(cfp, {
      performative: 'cfp',
      replyWithTag: 'cfp',
      relativeDeadline: this.timing.deadline,
      phase: 'proposals',
    });
    this.state.deadline = deadline ?? null;
    return sent;
  }

  /** Scheduler event: a deadline passed. */
  timeout(token: number): void {
    if (this.stale(token)) return;
    if (this.state.phase === 'proposals') {
      this.state.missing = this.pendingIn(this.state.responses);
      this.decide();
    } else if (this.state.phase === 'results') {
      this.state.resultMissing = this.state.accepted.filter(
        (r) => !this.answeredIn(this.state.notifications, r),
      );
      this.finish();
    }
  }

  result(): ContractNetResult {
    const s = this.state;
    const proposals = s.responses.filter((m) => m.performative === 'propose');
    return {
      conversationId: s.conversationId,
      proposals,
      refusals: s.responses.filter((m) => m.performative !== 'propose'),
      missing: [...s.missing],
      late: [...s.late],
      accepted: [...s.accepted],
      informs: s.notifications.filter((m) => m.performative === 'inform'),
      failures: s.notifications.filter((m) => m.performative === 'failure'),
      resultMissing: [...s.resultMissing],
    };
  }

  protected get template(): MessageTemplate {
    return { conversationId: this.state.conversationId, performative: [...FIRST, ...RESULT] };
  }

  protected handle(msg: AclMessage): void {
    const s = this.state;
    const who = this.responder(msg);
    if (s.phase === 'proposals') {
      const fresh = s.responders.includes(who) && !this.answeredIn(s.responses, who);
      if (fresh && msg.performative !== 'inform') {
        s.responses.push(msg);
        this.dispatchFirst(msg);
        if (this.pendingIn(s.responses).length === 0) this.decide();
        return;
      }
    } else if (s.phase === 'results') {
      const result = msg.performative === 'inform' || msg.performative === 'failure';
      if (result && s.accepted.includes(who) && !this.answeredIn(s.notifications, who)) {
        s.notifications.push(msg);
        if (msg.performative === 'inform') this.handlers.handleInform?.(msg);
        else this.handlers.handleFailure?.(msg);
        if (s.accepted.every((r) => this.answeredIn(s.notifications, r))) this.finish();
        return;
      }
      if (s.missing.includes(who) && !this.answeredIn(s.late, who)) return this.handleLate(msg);
    }
    this.handlers.handleOutOfSequence?.(msg);
  }

  private dispatchFirst(msg: AclMessage): void {
    const h = this.handlers;
    if (msg.performative === 'propose') h.handlePropose?.(msg);
    else if (msg.performative === 'refuse') h.handleRefuse?.(msg);
    else if (msg.performative === 'not-understood') h.handleNotUnderstood?.(msg);
    else h.handleFailure?.(msg);
  }

  private handleLate(msg: AclMessage): void {
    this.state.late.push(msg);
    this.handlers.handleLateResponse?.(msg);
    if (msg.performative === 'propose') {
      const reason = { reason: 'late', deadline: this.state.deadline };
      this.bus.send(createReply(msg, 'reject-proposal', reason, { sender: this.owner }));
    }
  }

  private decide(): void {
    const s = this.state;
    s.phase = 'results';
    s.timer++; // the proposal deadline, if still pending, must not count as a result timeout
    const proposals = s.responses.filter((m) => m.performative === 'propose');
    const decisions = this.handlers.handleAllResponses([...s.responses], {
      proposals,
      missing: [...s.missing],
    });
    for (const p of proposals) {
      const d = decisions.find((x) => x.proposal === p || sameMessage(x.proposal, p));
      const accept = d?.accept === true;
      if (accept) s.accepted.push(p.sender);
      const performative = accept ? 'accept-proposal' : 'reject-proposal';
      this.bus.send(createReply(p, performative, d?.content, { sender: this.owner }));
    }
    if (s.accepted.length === 0) return this.finish();
    if (this.timing.resultTimeout !== undefined) {
      this.armTimeout(this.bus.now + this.timing.resultTimeout, ++s.timer);
    }
  }

  private finish(): void {
    const s = this.state;
    this.close(() =>
      this.handlers.handleAllResultNotifications?.([...s.notifications], {
        missing: [...s.resultMissing],
      }),
    );
    this.handlers.onEnd?.(this.result());
  }
}

function sameMessage(a: AclMessage, b: AclMessage): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
