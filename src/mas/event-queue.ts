/**
 * The scheduler's pending events: a binary heap ordered by (time, priority, seq) plus a map from
 * event id to entry. Cancellation is lazy (the entry is flagged and skipped when it reaches the
 * top) so cancelling is O(1) and the heap never needs a search.
 */
import type { EventFn } from './agent.js';
import { BinaryHeap } from './heap.js';
import type { Json } from './json.js';

export interface Entry {
  /** Stable across repetitions: what an EventHandle refers to. */
  id: number;
  /** Tie-breaker, renewed at every (re)schedule. */
  seq: number;
  time: number;
  priority: number;
  interval: number | null;
  /** Target agent id, or null for an anonymous function. */
  agent: string | null;
  method: string;
  args: Json[];
  fn: EventFn | null;
  cancelled: boolean;
}

export const before = (a: Entry, b: Entry): boolean =>
  a.time !== b.time
    ? a.time < b.time
    : a.priority !== b.priority
      ? a.priority < b.priority
      : a.seq < b.seq;

export class EventQueue {
  private readonly heap = new BinaryHeap<Entry>(before);
  private readonly live = new Map<number, Entry>();

  /** Pending (not cancelled) events. */
  get size(): number {
    return this.live.size;
  }

  has(id: number): boolean {
    return this.live.has(id);
  }

  push(entry: Entry): void {
    this.heap.push(entry);
    this.live.set(entry.id, entry);
  }

  cancel(id: number): boolean {
    const e = this.live.get(id);
    if (!e) return false;
    e.cancelled = true;
    this.live.delete(id);
    return true;
  }

  /** The next event to run, skipping cancelled ones. */
  peek(): Entry | undefined {
    while (this.heap.size > 0 && this.heap.peek()!.cancelled) this.heap.pop();
    return this.heap.peek();
  }

  /** Removes and returns the next event; a repeating one is re-`push`ed by the caller. */
  pop(): Entry | undefined {
    const e = this.peek();
    if (e) {
      this.heap.pop();
      this.live.delete(e.id);
    }
    return e;
  }

  /** Pending events in execution order. */
  pending(): Entry[] {
    return [...this.live.values()].sort((a, b) => (before(a, b) ? -1 : 1));
  }

  /** Pending events targeting `agent`, in no particular order. */
  targeting(agent: string): Entry[] {
    return [...this.live.values()].filter((e) => e.agent === agent);
  }

  clear(): void {
    this.heap.clear();
    this.live.clear();
  }
}
