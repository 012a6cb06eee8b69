/**
 * The on-disk shape of a scheduler checkpoint. Kept apart from the scheduler so readers (a CLI
 * `inspect`, a notebook) can validate a checkpoint without pulling in the runtime.
 */
import { z } from 'zod';
import { CheckpointError } from '../core/errors.js';

const finite = z.number().finite();

export const ScheduledEventSchema = z.strictObject({
  /** Stable id of the event (kept across repetitions); EventHandle.id. */
  id: z.number().int().nonnegative(),
  /** Tie-breaker among equal (time, priority); increases with every (re)schedule. */
  seq: z.number().int().nonnegative(),
  time: finite,
  priority: finite,
  /** Repeat interval, or null for a one-shot event. */
  interval: finite.positive().nullable(),
  agent: z.string().min(1),
  method: z.string().min(1),
  args: z.array(z.json()),
});

export const ScheduleSnapshotSchema = z.strictObject({
  format: z.literal('osmosis.mas.schedule'),
  version: z.literal(1),
  time: finite,
  steps: z.number().int().nonnegative(),
  /** Next value of the insertion counter; restoring it keeps tie-breaking identical. */
  seq: z.number().int().nonnegative(),
  /** Pending events in execution order. */
  events: z.array(ScheduledEventSchema),
  /** Each registered agent's getState() output (null when it has none). */
  agents: z.record(z.string(), z.json()),
});

export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
export type ScheduleSnapshot = z.infer<typeof ScheduleSnapshotSchema>;

/**
 * Validates `snapshot` fully against a scheduler's registered agent ids before anything is
 * changed: the schema, the same set of agents, unique event ids, no event before the saved clock or
 * beyond the saved counter, and (through `checkMethod`, which throws) every target method present.
 */
export function parseScheduleSnapshot(
  snapshot: unknown,
  agentIds: readonly string[],
  checkMethod: (agent: string, method: string, where: string) => void,
): ScheduleSnapshot {
  const parsed = ScheduleSnapshotSchema.safeParse(snapshot);
  if (!parsed.success) {
    throw new CheckpointError(`restore: malformed schedule snapshot: ${parsed.error.message}`);
  }
  const snap = parsed.data;
  const missing = Object.keys(snap.agents).filter((id) => !agentIds.includes(id));
  const extra = agentIds.filter((id) => !Object.hasOwn(snap.agents, id));
  if (missing.length > 0 || extra.length > 0) {
    throw new CheckpointError(
      `restore: registry does not match the snapshot (missing: [${missing.join(', ')}], ` +
        `not in snapshot: [${extra.join(', ')}])`,
    );
  }
  const ids = new Set<number>();
  for (const e of snap.events) {
    const where = `restore: event #${e.id}`;
    if (ids.has(e.id)) throw new CheckpointError(`${where} appears twice`);
    ids.add(e.id);
    if (e.time < snap.time) throw new CheckpointError(`${where} is at ${e.time} < ${snap.time}`);
    if (e.seq >= snap.seq || e.id >= snap.seq) {
      throw new CheckpointError(`${where} has seq ${e.seq} >= counter ${snap.seq}`);
    }
    checkMethod(e.agent, e.method, where);
  }
  return snap;
}
