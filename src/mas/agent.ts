/**
 * The vocabulary shared by the scheduler and everything it drives: agents, event targets and
 * handles. Separate from scheduler.ts so protocol roles and the bus can name these types without
 * importing the scheduler's implementation.
 */
import type { Json } from './json.js';
import type { Scheduler } from './scheduler.js';

/** Anything registered with the scheduler. Its methods are called by name with JSON arguments. */
// `object &` keeps classes with none of the optional methods assignable (no weak-type check).
export type Agent = object & {
  /** JSON-serialisable state saved by `snapshot()`; agents without it are saved as `null`. */
  getState?(): unknown;
  /** Inverse of getState, called by `restore()` on a freshly constructed agent. */
  setState?(state: unknown): void;
};

/** An anonymous event; it runs, but a pending one makes `snapshot()` throw. */
export type EventFn = (scheduler: Scheduler) => void;
/** A serialisable event: `registry[agent][method](...args)`; method defaults to `step`. */
export interface AgentCall {
  agent: string;
  method?: string;
  args?: readonly Json[];
}
/** An agent id (calls its `step()`), an AgentCall, or an anonymous function. */
export type ScheduleTarget = string | AgentCall | EventFn;

export interface ScheduleOptions {
  /** Lower runs first among events at the same time (MASON's ordering). Default 0. */
  priority?: number;
}

/** Returned by every schedule call; valid across repetitions of a repeating event. */
export interface EventHandle {
  readonly id: number;
  /** True while the event (or the next repetition) is still queued. */
  readonly pending: boolean;
  /** Removes the event and all its future repetitions; false if it was no longer pending. */
  cancel(): boolean;
}

export type AgentRegistry = Record<string, Agent> | Map<string, Agent>;
