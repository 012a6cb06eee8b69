/**
 * A discrete-event scheduler in the spirit of MASON's Schedule.
 *
 * Events run in (time, priority, insertion) order: lower priority numbers first, as MASON's
 * `ordering`, then first-scheduled first, so a run is a pure function of what was scheduled — no
 * shuffling, no wall clock. `step()` advances the clock to the next time stamp and runs every event
 * there, including events scheduled *at that same time* while the step runs (zero-latency message
 * cascades finish inside one step).
 *
 * Checkpointing: closures cannot be serialised, so events that must survive `snapshot()` target a
 * registered agent by id + method name + JSON arguments. `Scheduler.restore()` rebuilds the queue
 * from a snapshot against fresh agents, and since ordering depends only on (time, priority, seq)
 * and the seq counter is saved, a resumed run replays exactly what an uninterrupted run does.
 */
import { CheckpointError } from '../core/errors.js';
import { ScheduleError } from './errors.js';
import { EventQueue, type Entry } from './event-queue.js';
import { toJson, type Json } from './json.js';
import { parseScheduleSnapshot, type ScheduleSnapshot } from './snapshot.js';
import type { Agent, AgentRegistry, EventHandle } from './agent.js';
import type { ScheduleOptions, ScheduleTarget } from './agent.js';

export type * from './agent.js';
export type { ScheduleSnapshot } from './snapshot.js';

export class Scheduler {
  private readonly queue = new EventQueue();
  private readonly agents = new Map<string, Agent>();
  private clock = 0;
  private stepCount = 0;
  private seq = 0;
  private running = false;

  /** Current simulated time: the time stamp of the last step (0 before the first). */
  get time(): number {
    return this.clock;
  }

  /** Number of `step()` calls that ran at least one event. */
  get steps(): number {
    return this.stepCount;
  }

  /** Events still queued (cancelled ones excluded). */
  get pendingCount(): number {
    return this.queue.size;
  }

  /** Time stamp of the next event, or undefined when the queue is empty. */
  get nextTime(): number | undefined {
    return this.queue.peek()?.time;
  }

  register<A extends Agent>(id: string, agent: A): A {
    if (typeof id !== 'string' || id.length === 0) {
      throw new ScheduleError(`register: agent id must be a non-empty string, got ${String(id)}`);
    }
    if (this.agents.has(id)) throw new ScheduleError(`register: agent id '${id}' is already taken`);
    this.agents.set(id, agent);
    return agent;
  }

  /** Removes an agent and cancels its pending events (they could never run); returns how many. */
  unregister(id: string): number {
    if (!this.agents.delete(id)) throw new ScheduleError(`unregister: no agent '${id}'`);
    const pending = this.queue.targeting(id);
    for (const e of pending) this.queue.cancel(e.id);
    return pending.length;
  }

  agent<A extends Agent = Agent>(id: string): A | undefined {
    return this.agents.get(id) as A | undefined;
  }

  agentIds(): string[] {
    return [...this.agents.keys()];
  }

  scheduleOnce(time: number, target: ScheduleTarget, options: ScheduleOptions = {}): EventHandle {
    return this.enqueue('scheduleOnce', time, null, target, options);
  }

  /** scheduleOnce at `time + delta`, as MASON's scheduleOnceIn. */
  scheduleOnceIn(
    delta: number,
    target: ScheduleTarget,
    options: ScheduleOptions = {},
  ): EventHandle {
    if (!(delta >= 0)) throw new ScheduleError(`scheduleOnceIn: delta must be >= 0, got ${delta}`);
    return this.enqueue('scheduleOnceIn', this.clock + delta, null, target, options);
  }

  scheduleRepeating(
    start: number,
    interval: number,
    target: ScheduleTarget,
    options: ScheduleOptions = {},
  ): EventHandle {
    if (!(Number.isFinite(interval) && interval > 0)) {
      throw new ScheduleError(
        `scheduleRepeating: interval must be finite and > 0, got ${interval}`,
      );
    }
    return this.enqueue('scheduleRepeating', start, interval, target, options);
  }

  cancel(id: number): boolean {
    return this.queue.cancel(id);
  }

  /** Runs every event at the next time stamp. Returns false when the queue was empty. */
  step(): boolean {
    if (this.running) throw new ScheduleError('step: called from inside an event');
    const first = this.queue.peek();
    if (!first) return false;
    this.running = true;
    try {
      this.clock = first.time;
      this.stepCount++;
      for (let e = this.queue.peek(); e && e.time === this.clock; e = this.queue.peek()) {
        this.queue.pop();
        if (e.interval === null) {
          this.invoke(e, e.time);
        } else {
          // Re-queued before running, as MASON's Repeat does, so an event that throws keeps its
          // place and the next repetition's seq does not depend on what the event schedules.
          const now = e.time;
          e.time += e.interval;
          e.seq = this.seq++;
          this.queue.push(e);
          this.invoke(e, now);
        }
      }
    } finally {
      this.running = false;
    }
    return true;
  }

  /** Runs every event with time <= `until`, then advances the clock to `until`. Returns steps. */
  runUntil(until: number): number {
    if (Number.isNaN(until)) throw new ScheduleError('runUntil: time is NaN');
    let n = 0;
    for (let t = this.nextTime; t !== undefined && t <= until; t = this.nextTime) {
      this.step();
      n++;
    }
    if (until > this.clock && Number.isFinite(until)) this.clock = until;
    return n;
  }

  /** Runs up to `maxSteps` steps (all, if omitted) and returns how many ran. */
  run(maxSteps = Infinity): number {
    let n = 0;
    while (n < maxSteps && this.step()) n++;
    return n;
  }

  /** A JSON-serialisable checkpoint; throws CheckpointError if an anonymous event is pending. */
  snapshot(): ScheduleSnapshot {
    if (this.running) throw new CheckpointError('snapshot: called from inside an event');
    const events = this.queue.pending();
    const anonymous = events.find((e) => e.fn !== null);
    if (anonymous) {
      throw new CheckpointError(
        `snapshot: event #${anonymous.id} at time ${anonymous.time} is an anonymous function, ` +
          'which cannot be serialised; register an agent and schedule { agent, method, args }',
      );
    }
    const agents: Record<string, Json> = {};
    for (const [id, agent] of this.agents) {
      agents[id] = toJson(agent.getState ? agent.getState() : null, `agent '${id}' state`);
    }
    return {
      format: 'osmosis.mas.schedule',
      version: 1,
      time: this.clock,
      steps: this.stepCount,
      seq: this.seq,
      events: events.map((e) => ({
        id: e.id,
        seq: e.seq,
        time: e.time,
        priority: e.priority,
        interval: e.interval,
        agent: e.agent!,
        method: e.method,
        args: e.args,
      })),
      agents,
    };
  }

  /**
   * A new scheduler resumed from `snapshot`. `registry` holds freshly built agents under the ids
   * they had, or is a function building them against the new scheduler (agents that schedule or
   * send need it); either way every snapshot id must be present and no other.
   */
  static restore(
    snapshot: unknown,
    registry: AgentRegistry | ((scheduler: Scheduler) => AgentRegistry),
  ): Scheduler {
    const s = new Scheduler();
    const agents = typeof registry === 'function' ? registry(s) : registry;
    const entries = agents instanceof Map ? [...agents] : Object.entries(agents);
    for (const [id, agent] of entries) {
      if (s.agents.get(id) !== agent) s.register(id, agent);
    }
    s.load(snapshot);
    return s;
  }

  /** Replaces this scheduler's clock and queue with `snapshot`'s and restores agent states. */
  load(snapshot: unknown): void {
    if (this.running) throw new CheckpointError('load: called from inside an event');
    const snap = parseScheduleSnapshot(snapshot, [...this.agents.keys()], (id, method, where) =>
      this.checkMethod(id, method, where, CheckpointError),
    );
    this.queue.clear();
    this.clock = snap.time;
    this.stepCount = snap.steps;
    this.seq = snap.seq;
    for (const e of snap.events) {
      this.queue.push({ ...e, args: e.args as Json[], fn: null, cancelled: false });
    }
    for (const id of Object.keys(snap.agents)) {
      const state = snap.agents[id];
      const agent = this.agents.get(id)!;
      if (agent.setState) agent.setState(state);
      else if (state !== null) {
        throw new CheckpointError(`restore: agent '${id}' has saved state but no setState()`);
      }
    }
  }

  private enqueue(
    op: string,
    time: number,
    interval: number | null,
    target: ScheduleTarget,
    options: ScheduleOptions,
  ): EventHandle {
    if (!Number.isFinite(time)) throw new ScheduleError(`${op}: time must be finite, got ${time}`);
    if (time < this.clock) {
      throw new ScheduleError(`${op}: time ${time} is before the current time ${this.clock}`);
    }
    const priority = options.priority ?? 0;
    if (!Number.isFinite(priority)) {
      throw new ScheduleError(`${op}: priority must be finite, got ${priority}`);
    }
    let entry: Entry;
    const base = { id: this.seq, seq: this.seq, time, priority, interval, cancelled: false };
    if (typeof target === 'function') {
      entry = { ...base, agent: null, method: '', args: [], fn: target };
    } else {
      const call = typeof target === 'string' ? { agent: target } : target;
      const method = call.method ?? 'step';
      this.checkMethod(call.agent, method, op, ScheduleError);
      const where = `${op}: args of '${call.agent}.${method}'`;
      const args = toJson(call.args ?? [], where, ScheduleError) as Json[];
      entry = { ...base, agent: call.agent, method, args, fn: null };
    }
    this.seq++;
    this.queue.push(entry);
    const id = entry.id;
    const queue = this.queue;
    return {
      id,
      get pending() {
        return queue.has(id);
      },
      cancel: () => this.cancel(id),
    };
  }

  private checkMethod(
    id: string,
    method: string,
    where: string,
    E: typeof ScheduleError | typeof CheckpointError,
  ): void {
    const agent = this.agents.get(id);
    if (!agent) throw new E(`${where}: no agent registered as '${id}'`);
    if (typeof (agent as Record<string, unknown>)[method] !== 'function') {
      throw new E(`${where}: agent '${id}' has no method '${method}'`);
    }
  }

  private invoke(e: Entry, now: number): void {
    if (e.fn) return e.fn(this);
    const agent = this.agents.get(e.agent!) as Record<string, unknown> | undefined;
    const fn = agent?.[e.method];
    if (typeof fn !== 'function') {
      throw new ScheduleError(`step: agent '${e.agent}' has no method '${e.method}' at ${now}`);
    }
    fn.apply(agent, e.args);
  }
}
