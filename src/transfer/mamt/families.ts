/**
 * Task families: a distribution p(i) over env options. Each varied option is a constant, a range
 * [lo, hi] (uniform), a union of ranges (an interval picked with probability proportional to its
 * width, then uniform inside it) or a list of choices (uniform). Everything not varied comes from
 * the base options (the experiment's env options minus the varied keys).
 *
 * The held-out target task is never sampled for training: a draw equal to the target on every
 * varied key is rejected (only possible with choices), as is any draw matching an `exclude` entry.
 */
import { z } from 'zod';
import { ConfigError, type Generator } from '../../core/index.js';

const range = z
  .tuple([z.number().finite(), z.number().finite()])
  .refine(([lo, hi]) => lo <= hi, 'expected [lo, hi] with lo <= hi');

export const paramSpecSchema = z.union([
  z.number().finite(),
  z.boolean(),
  range,
  z.object({ ranges: z.array(range).min(1) }).strict(),
  z
    .object({ choices: z.array(z.union([z.number().finite(), z.boolean(), z.string()])).min(1) })
    .strict(),
]);
export type ParamSpec = z.infer<typeof paramSpecSchema>;

export const familySchema = z
  .object({
    /** Option name -> how it varies across tasks. */
    vary: z.record(z.string(), paramSpecSchema),
    /** Partial option sets never used for training (a draw matching every key is redrawn). */
    exclude: z.array(z.record(z.string(), z.unknown())).default([]),
    /** Redraw a task equal to the target on every varied key (default true). */
    excludeTarget: z.boolean().default(true),
  })
  .strict();
export type TaskFamily = z.infer<typeof familySchema>;

function drawSpec(spec: ParamSpec, rng: Generator): unknown {
  if (typeof spec === 'number' || typeof spec === 'boolean') return spec;
  if (Array.isArray(spec)) return rng.uniformRange(spec[0], spec[1]);
  if ('choices' in spec) return spec.choices[rng.int(spec.choices.length)];
  const widths = spec.ranges.map(([lo, hi]) => hi - lo);
  const total = widths.reduce((a, b) => a + b, 0);
  const [lo, hi] =
    total > 0 ? spec.ranges[rng.categorical(widths)] : spec.ranges[rng.int(spec.ranges.length)];
  return rng.uniformRange(lo, hi);
}

function matches(options: Record<string, unknown>, partial: Record<string, unknown>): boolean {
  const keys = Object.keys(partial);
  return keys.length > 0 && keys.every((k) => options[k] === partial[k]);
}

/** Draw one training task's env options. */
export function sampleTask(
  family: TaskFamily,
  base: Record<string, unknown>,
  rng: Generator,
  target?: Record<string, unknown>,
): Record<string, unknown> {
  const keys = Object.keys(family.vary).sort();
  const held: Record<string, unknown>[] = [...family.exclude];
  if (family.excludeTarget && target) {
    held.push(Object.fromEntries(keys.map((k) => [k, target[k] ?? base[k]])));
  }
  for (let attempt = 0; attempt < 1000; attempt++) {
    const out: Record<string, unknown> = { ...base };
    for (const k of keys) out[k] = drawSpec(family.vary[k], rng);
    if (!held.some((h) => matches(out, h))) return out;
  }
  throw new ConfigError(
    `sampleTask: 1000 draws in a row were excluded; the family ${JSON.stringify(family.vary)} leaves no training task besides the held-out ones`,
  );
}

/** The largest value an option can take in the family or the target (for padding inputs). */
export function familyMax(
  family: TaskFamily,
  key: string,
  target: Record<string, unknown>,
): number {
  const vals: number[] = [];
  const t = target[key];
  if (typeof t === 'number') vals.push(t);
  const spec = family.vary[key];
  if (typeof spec === 'number') vals.push(spec);
  else if (Array.isArray(spec)) vals.push(spec[1]);
  else if (spec && typeof spec === 'object' && 'choices' in spec) {
    for (const c of spec.choices) if (typeof c === 'number') vals.push(c);
  } else if (spec && typeof spec === 'object' && 'ranges' in spec) {
    for (const [, hi] of spec.ranges) vals.push(hi);
  }
  if (vals.length === 0) throw new ConfigError(`familyMax: no numeric value for '${key}'`);
  return Math.max(...vals);
}
