import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/core/errors.js';
import { BinaryHeap } from '../../src/mas/heap.js';
import { Scheduler, ScheduleError, type Agent, type Json } from '../../src/mas/index.js';
import { buildModel, Recorder, startModel } from './helpers/model.js';

/** An agent that logs `name@time` into a shared array whenever a method runs. */
class Tracer implements Agent {
  constructor(
    private readonly name: string,
    private readonly trace: string[],
    private readonly scheduler: Scheduler,
  ) {}
  step(): void {
    this.trace.push(`${this.name}@${this.scheduler.time}`);
  }
  say(word: Json): void {
    this.trace.push(`${this.name}:${String(word)}@${this.scheduler.time}`);
  }
}

function setup(names: string[]): { s: Scheduler; trace: string[] } {
  const s = new Scheduler();
  const trace: string[] = [];
  for (const n of names) s.register(n, new Tracer(n, trace, s));
  return { s, trace };
}

describe('BinaryHeap', () => {
  it('pops in comparator order for any insertion order', () => {
    const h = new BinaryHeap<number>((a, b) => a < b);
    const xs = [5, 3, 9, 1, 1, 8, 2, 7, 0, 6, 4];
    xs.forEach((x) => h.push(x));
    const out: number[] = [];
    while (h.size) out.push(h.pop()!);
    expect(out).toEqual([...xs].sort((a, b) => a - b));
    expect(h.pop()).toBeUndefined();
  });
});

describe('Scheduler ordering', () => {
  it('orders by time, then priority (lower first), then insertion', () => {
    const { s, trace } = setup(['a', 'b', 'c', 'd']);
    s.scheduleOnce(2, 'a');
    s.scheduleOnce(1, 'b', { priority: 5 });
    s.scheduleOnce(1, 'c', { priority: -1 });
    s.scheduleOnce(1, 'd', { priority: 5 });
    s.scheduleOnce(1, { agent: 'a', method: 'say', args: ['x'] }, { priority: 5 });
    s.run();
    expect(trace).toEqual(['c@1', 'b@1', 'd@1', 'a:x@1', 'a@2']);
  });

  it('step() runs everything at the next time stamp, including same-time events it schedules', () => {
    const { s, trace } = setup(['a', 'b']);
    s.scheduleOnce(3, (sch) => {
      trace.push('fn@3');
      sch.scheduleOnce(3, 'b', { priority: -10 });
      sch.scheduleOnce(4, 'a');
    });
    s.scheduleOnce(3, 'a', { priority: 1 });
    expect(s.step()).toBe(true);
    expect(trace).toEqual(['fn@3', 'b@3', 'a@3']);
    expect([s.time, s.steps]).toEqual([3, 1]);
    expect(s.step()).toBe(true);
    expect(s.step()).toBe(false);
    expect(trace.at(-1)).toBe('a@4');
  });

  it('repeats at fixed intervals and cancels through the handle', () => {
    const { s, trace } = setup(['a', 'b']);
    const h = s.scheduleRepeating(0, 2, 'a');
    s.scheduleRepeating(1, 3, 'b', { priority: 1 });
    s.runUntil(7);
    expect(trace).toEqual(['a@0', 'b@1', 'a@2', 'a@4', 'b@4', 'a@6', 'b@7']);
    expect(s.time).toBe(7);
    expect(h.pending).toBe(true);
    expect(h.cancel()).toBe(true);
    expect(h.pending).toBe(false);
    expect(h.cancel()).toBe(false);
    trace.length = 0;
    s.runUntil(12);
    expect(trace).toEqual(['b@10']);
  });

  it('an event can cancel its own repetition and others at the same time', () => {
    const { s, trace } = setup(['a', 'b']);
    const later = s.scheduleOnce(1, 'b', { priority: 1 });
    const rep = s.scheduleRepeating(1, 1, (sch) => {
      trace.push(`fn@${sch.time}`);
      later.cancel();
      if (sch.time === 2) rep.cancel();
    });
    expect(s.run()).toBe(2);
    expect(trace).toEqual(['fn@1', 'fn@2']);
    expect(s.pendingCount).toBe(0);
  });

  it('run(maxSteps) and runUntil count steps, and runUntil advances an idle clock', () => {
    const { s } = setup(['a']);
    s.scheduleRepeating(0, 1, 'a');
    expect(s.run(3)).toBe(3);
    expect(s.time).toBe(2);
    expect(s.runUntil(4.5)).toBe(2);
    expect(s.time).toBe(4.5);
    expect(s.nextTime).toBe(5);
  });

  it('unregister cancels the agent’s pending events', () => {
    const { s, trace } = setup(['a', 'b']);
    s.scheduleRepeating(0, 1, 'a');
    s.scheduleOnce(5, { agent: 'a', method: 'say', args: [1] });
    s.scheduleOnce(1, 'b');
    expect(s.unregister('a')).toBe(2);
    s.run();
    expect(trace).toEqual(['b@1']);
  });

  it('rejects bad times, intervals, priorities, ids and methods with ScheduleError', () => {
    const { s } = setup(['a']);
    s.scheduleOnce(5, 'a');
    s.run();
    const bad: [string, () => unknown][] = [
      ['before the current time', () => s.scheduleOnce(4, 'a')],
      ['must be finite', () => s.scheduleOnce(NaN, 'a')],
      ['must be finite', () => s.scheduleOnce(Infinity, 'a')],
      ['interval must be finite and > 0', () => s.scheduleRepeating(6, 0, 'a')],
      ['priority must be finite', () => s.scheduleOnce(6, 'a', { priority: NaN })],
      ["no agent registered as 'zz'", () => s.scheduleOnce(6, 'zz')],
      ["has no method 'fly'", () => s.scheduleOnce(6, { agent: 'a', method: 'fly' })],
      ["'a' is already taken", () => s.register('a', {})],
      ['delta must be >= 0', () => s.scheduleOnceIn(-1, 'a')],
      ['JSON cannot hold', () => s.scheduleOnce(6, { agent: 'a', args: [new Map()] as never })],
    ];
    for (const [msg, f] of bad) {
      expect(f, msg).toThrow(msg);
      expect(f, msg).toThrow(ScheduleError);
    }
  });

  it('refuses a nested step() from inside an event', () => {
    const s = new Scheduler();
    s.scheduleOnce(0, (sch) => sch.step());
    expect(() => s.step()).toThrow(ScheduleError);
  });
});

describe('Scheduler checkpoints', () => {
  it('a run interrupted, serialised and resumed replays the uninterrupted trace exactly', () => {
    const full = startModel();
    full.scheduler.runUntil(40);

    const part = startModel();
    part.scheduler.runUntil(17.3);
    const text = JSON.stringify(part.scheduler.snapshot());
    const resumed = Scheduler.restore(JSON.parse(text), buildModel);
    resumed.runUntil(40);

    const log = (resumed.agent('recorder') as Recorder).log;
    expect(log.length).toBeGreaterThan(100);
    expect(log).toEqual(full.recorder.log);
    expect(resumed.snapshot()).toEqual(full.scheduler.snapshot());
    expect(resumed.steps).toBe(full.scheduler.steps);
  });

  it('snapshots repeatedly at every step and still matches', () => {
    const full = startModel();
    full.scheduler.run(30);
    let { scheduler } = startModel();
    for (let i = 0; i < 30; i++) {
      scheduler.step();
      scheduler = Scheduler.restore(JSON.parse(JSON.stringify(scheduler.snapshot())), buildModel);
    }
    expect((scheduler.agent('recorder') as Recorder).log).toEqual(full.recorder.log);
  });

  it('a pending anonymous function makes snapshot() throw a CheckpointError naming it', () => {
    const s = new Scheduler();
    s.scheduleOnce(3, () => {});
    expect(() => s.snapshot()).toThrow(CheckpointError);
    expect(() => s.snapshot()).toThrow(/anonymous function.*register an agent/);
    s.run();
    expect(s.snapshot().events).toEqual([]);
  });

  it('agent state that JSON cannot hold is refused with its path', () => {
    const s = new Scheduler();
    s.register('x', { getState: () => ({ ok: 1, bad: [1, NaN] }) });
    expect(() => s.snapshot()).toThrow("agent 'x' state.bad[1] is NaN");
  });

  it('restore rejects a registry that does not match and malformed snapshots', () => {
    const { scheduler } = startModel();
    scheduler.run(5);
    const snap = JSON.parse(JSON.stringify(scheduler.snapshot()));
    const withoutCat = (s: Scheduler) => {
      const r = buildModel(s);
      delete r.cat;
      return r;
    };
    expect(() => Scheduler.restore(snap, withoutCat)).toThrow(/missing: \[cat\]/);
    expect(() => Scheduler.restore({ ...snap, extra: 1 }, buildModel)).toThrow(CheckpointError);
    expect(() => Scheduler.restore({ ...snap, version: 2 }, buildModel)).toThrow(CheckpointError);
    const badEvent = structuredClone(snap);
    badEvent.events[0].method = 'fly';
    expect(() => Scheduler.restore(badEvent, buildModel)).toThrow(/no method 'fly'/);
    const past = structuredClone(snap);
    past.events[0].time = snap.time - 1;
    expect(() => Scheduler.restore(past, buildModel)).toThrow(/is at/);
  });

  it('__proto__ keys in a snapshot do not pollute prototypes', () => {
    const s = new Scheduler();
    let got: unknown;
    s.register('x', { getState: () => null, setState: (v: unknown) => (got = v) });
    const text = JSON.stringify(s.snapshot()).replace(
      '"x":null',
      '"x":{"__proto__":{"polluted":true}}',
    );
    const r = Scheduler.restore(JSON.parse(text), {
      x: { getState: () => null, setState: (v: unknown) => (got = v) },
    });
    expect(r).toBeInstanceOf(Scheduler);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((got as Record<string, unknown>).polluted).toBeUndefined();
  });
});
