/**
 * Task allocation with FIPA Contract Net: a manager announces tasks one per time unit; four workers
 * with different prices, capacities and speeds bid. `gamma` is the cheapest but always thinks too
 * long, so its bids arrive after the deadline and are ignored; `delta` takes jobs it cannot do
 * (size >= 5) and reports failure, so the manager re-tenders those without it.
 *
 *   npx tsx examples/contract-net.ts
 */
import { pathToFileURL } from 'node:url';
import {
  ContractNetInitiator,
  ContractNetResponder,
  MessageBus,
  Scheduler,
  type AclMessage,
  type Agent,
  type ContractNetResult,
} from '../src/mas/index.js';

interface WorkerSpec {
  name: string;
  /** Price per unit of task size. */
  rate: number;
  /** Total size it can hold (reserved by open bids + committed work). */
  capacity: number;
  /** Time per unit of size. */
  speed: number;
  /** Time spent before answering a cfp. */
  think: number;
  /** Largest task it can actually finish; bigger ones are accepted, then fail. */
  canDo: number;
}

const WORKERS: WorkerSpec[] = [
  { name: 'alpha', rate: 3, capacity: 12, speed: 1, think: 0.2, canDo: 99 },
  { name: 'beta', rate: 2, capacity: 8, speed: 2, think: 0.5, canDo: 99 },
  { name: 'gamma', rate: 1, capacity: 30, speed: 1, think: 3, canDo: 99 },
  { name: 'delta', rate: 1.5, capacity: 14, speed: 1, think: 0.1, canDo: 4 },
];
const SIZES = [3, 1, 4, 1, 5, 2, 6, 2, 3, 5];
const DEADLINE = 2;
const MAX_ATTEMPTS = 3;

export interface Allocation {
  task: number;
  size: number;
  worker: string | null;
  cost: number | null;
  attempts: number;
  finishedAt: number | null;
}

/** A worker's bookkeeping: bids reserve capacity until accepted (committed) or rejected. */
function startWorker(bus: MessageBus, spec: WorkerSpec): void {
  bus.register(spec.name);
  let used = 0;
  const size = (m: AclMessage) => (m.content as { size: number }).size;
  new ContractNetResponder(
    { bus, owner: spec.name },
    {
      handleCfp: (cfp) => {
        if (used + size(cfp) > spec.capacity) return { performative: 'refuse', content: 'full' };
        used += size(cfp);
        return {
          performative: 'propose',
          content: { cost: size(cfp) * spec.rate },
          delay: spec.think,
        };
      },
      handleAcceptProposal: (cfp) => {
        const work = size(cfp) * spec.speed;
        if (size(cfp) > spec.canDo) {
          used -= size(cfp);
          return { performative: 'failure', content: 'too big for me', delay: work / 2 };
        }
        return { performative: 'inform', content: { done: true }, delay: work };
      },
      handleRejectProposal: (cfp) => {
        used -= size(cfp);
      },
    },
  );
}

class Manager implements Agent {
  readonly allocation: Allocation[];
  /** Bids that arrived after their deadline (all of gamma's). */
  lateBids = 0;

  constructor(
    private readonly bus: MessageBus,
    sizes: number[],
  ) {
    bus.register('manager');
    this.allocation = sizes.map((size, task) => ({
      task,
      size,
      worker: null,
      cost: null,
      attempts: 0,
      finishedAt: null,
    }));
  }

  /** Scheduler event: put task `task` out to tender among the workers not yet excluded. */
  announce(task: number, excluded: string[] = []): void {
    const a = this.allocation[task];
    a.attempts++;
    const receivers = WORKERS.map((w) => w.name).filter((n) => !excluded.includes(n));
    const initiator = new ContractNetInitiator(
      { bus: this.bus, owner: 'manager', deadline: DEADLINE, resultTimeout: 50 },
      {
        handleAllResponses: (_responses, { proposals }) => {
          const cost = (m: AclMessage) => (m.content as { cost: number }).cost;
          const best = [...proposals].sort((x, y) => cost(x) - cost(y))[0];
          return best ? [{ proposal: best, accept: true }] : [];
        },
        onEnd: (r) => this.settle(task, r, excluded),
      },
    );
    initiator.start({ receivers, content: { task, size: a.size } });
  }

  private settle(task: number, r: ContractNetResult, excluded: string[]): void {
    const a = this.allocation[task];
    this.lateBids += r.late.length;
    const inform = r.informs[0];
    if (inform) {
      const proposal = r.proposals.find((p) => p.sender === inform.sender)!;
      Object.assign(a, {
        worker: inform.sender,
        cost: (proposal.content as { cost: number }).cost,
        finishedAt: this.bus.now,
      });
    } else if (a.attempts < MAX_ATTEMPTS) {
      this.announce(task, [...excluded, ...r.failures.map((f) => f.sender)]);
    }
  }
}

export function main(options: { quiet?: boolean; tasks?: number } = {}) {
  const scheduler = new Scheduler();
  const bus = new MessageBus(scheduler, { latency: 0.25 });
  for (const w of WORKERS) startWorker(bus, w);
  const sizes = Array.from(
    { length: options.tasks ?? SIZES.length },
    (_, i) => SIZES[i % SIZES.length],
  );
  const manager = new Manager(bus, sizes);
  scheduler.register('manager', manager);
  sizes.forEach((_, task) =>
    scheduler.scheduleOnce(task, { agent: 'manager', method: 'announce', args: [task] }),
  );
  scheduler.run();

  const result = {
    allocation: manager.allocation,
    messages: bus.stats.sent,
    lateBids: manager.lateBids,
    time: scheduler.time,
  };
  if (!options.quiet) {
    console.log('task size worker  cost  attempts finished');
    for (const a of manager.allocation) {
      const cells = [
        a.task,
        a.size,
        a.worker ?? '-',
        a.cost ?? '-',
        a.attempts,
        a.finishedAt ?? '-',
      ];
      console.log(
        cells
          .map((c, i) => String(c).padEnd([5, 5, 8, 6, 9, 8][i]))
          .join('')
          .trimEnd(),
      );
    }
    const total = manager.allocation.reduce((s, a) => s + (a.cost ?? 0), 0);
    console.log(
      `total cost ${total}, ${result.messages} messages, ${result.lateBids} late bids ignored, ` +
        `all done at t=${result.time}`,
    );
  }
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
