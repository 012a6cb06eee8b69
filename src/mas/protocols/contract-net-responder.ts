/**
 * The participant side of FIPA Contract Net, as JADE's ContractNetResponder: answer each cfp
 * (propose / refuse / not-understood, or stay silent), then perform an accepted proposal and
 * report inform or failure. Callbacks may ask for a `delay`, simulated time spent deliberating or
 * working before the reply leaves; the reply then travels as an ordinary delayed bus message, so
 * it is part of a snapshot like any other message in flight.
 */
import { z } from 'zod';
import { CheckpointError } from '../../core/errors.js';
import { AclMessageSchema, createReply, type AclMessage, type MessageTemplate } from '../acl.js';
import { Role, type Reply, type RoleOptions } from './common.js';

const CONTRACT_NET = 'fipa-contract-net';

export interface ContractNetResponderHandlers {
  /** The answer to a cfp; `null` stays silent (the initiator will list this agent as missing). */
  handleCfp(cfp: AclMessage): Reply<'propose' | 'refuse' | 'not-understood'> | null;
  /** Performs the accepted task: inform-done / inform-result (both `inform`) or failure. */
  handleAcceptProposal(
    cfp: AclMessage,
    propose: AclMessage,
    accept: AclMessage,
  ): Reply<'inform' | 'failure'>;
  handleRejectProposal?(cfp: AclMessage, propose: AclMessage, reject: AclMessage): void;
  handleOutOfSequence?(msg: AclMessage): void;
}

const StateSchema = z.strictObject({
  /** Conversations with a proposal out, as [conversationId, {cfp, propose}] pairs. */
  open: z.array(
    z.tuple([z.string(), z.strictObject({ cfp: AclMessageSchema, propose: AclMessageSchema })]),
  ),
});

interface Open {
  cfp: AclMessage;
  propose: AclMessage;
}

export class ContractNetResponder extends Role {
  // A Map, not an object: conversation ids come from other agents and may be any string.
  private open = new Map<string, Open>();

  constructor(
    options: RoleOptions,
    private readonly handlers: ContractNetResponderHandlers,
  ) {
    super(options, `${options.owner}/${CONTRACT_NET}-responder`);
  }

  /** Conversations in which this agent has proposed and awaits accept/reject. */
  get openConversations(): string[] {
    return [...this.open.keys()];
  }

  getState(): z.infer<typeof StateSchema> {
    return { open: [...this.open] };
  }

  setState(state: unknown): void {
    const parsed = StateSchema.safeParse(state);
    if (!parsed.success) {
      throw new CheckpointError(
        `restore: malformed state for '${this.id}': ${parsed.error.message}`,
      );
    }
    this.open = new Map(parsed.data.open);
  }

  protected get template(): MessageTemplate {
    return { protocol: CONTRACT_NET, performative: ['cfp', 'accept-proposal', 'reject-proposal'] };
  }

  protected handle(msg: AclMessage): void {
    const id = msg.conversationId;
    if (msg.performative === 'cfp') {
      if (id === undefined || this.open.has(id)) {
        this.bus.send(
          createReply(msg, 'not-understood', { reason: 'bad conversation-id' }, this.me),
        );
        return;
      }
      const answer = this.handlers.handleCfp(msg);
      if (answer === null) return;
      const reply = this.bus.send(
        createReply(msg, answer.performative, answer.content, {
          ...this.me,
          replyWith: `${id}-${this.owner}`,
        }),
        { delay: answer.delay },
      );
      if (answer.performative === 'propose') this.open.set(id, { cfp: msg, propose: reply });
      return;
    }
    const open = id === undefined ? undefined : this.open.get(id);
    if (!open) {
      this.handlers.handleOutOfSequence?.(msg);
      return;
    }
    this.open.delete(id!);
    if (msg.performative === 'reject-proposal') {
      this.handlers.handleRejectProposal?.(open.cfp, open.propose, msg);
      return;
    }
    const result = this.handlers.handleAcceptProposal(open.cfp, open.propose, msg);
    this.bus.send(createReply(msg, result.performative, result.content, this.me), {
      delay: result.delay,
    });
  }

  private get me(): { sender: string } {
    return { sender: this.owner };
  }
}
