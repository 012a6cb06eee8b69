import { Generator } from '../../core/rng.js';
import type { AECEnv } from '../aec-env.js';
import type { Env } from '../env.js';
import { EnvError } from '../errors.js';
import type { AgentDict, ParallelEnv } from '../parallel-env.js';
import { Discrete } from '../spaces/discrete.js';
import type { Space } from '../spaces/space.js';
import { kindOf, type AnyKindEnv } from './kinds.js';
import { fail, sampleAction } from './util.js';

/**
 * Checks that an env built by `make` refuses misuse with EnvError: stepping before reset, an
 * action outside the action space, stepping after the episode ended. Plays episodes with random
 * actions to reach the end (up to `maxSteps`).
 */
export function misuseTest(env: AnyKindEnv, opts: { maxSteps?: number; seed?: number } = {}): void {
  const C = `misuseTest(${env})`;
  const rng = new Generator(opts.seed ?? 0);
  const maxSteps = opts.maxSteps ?? 100_000;
  const kind = kindOf(env);
  if (kind === 'single') {
    const e = env as Env<unknown, unknown>;
    expectEnvError(C, 'step() before reset()', () => e.step(e.actionSpace.sample(rng)));
    let { info } = e.reset({ seed: 0 });
    for (const bad of invalidActions(e.actionSpace)) {
      expectEnvError(C, `step(${String(bad)})`, () => e.step(bad));
    }
    let done = false;
    for (let i = 0; i < maxSteps && !done; i++) {
      const s = e.step(sampleAction(e.actionSpace, rng, info));
      done = s.terminated || s.truncated;
      info = s.info;
    }
    if (!done) fail(C, `no episode ended within ${maxSteps} steps`);
    expectEnvError(C, 'step() after the episode ended', () => e.step(e.actionSpace.sample(rng)));
  } else if (kind === 'parallel') {
    const e = env as ParallelEnv<unknown, unknown>;
    const random = (): AgentDict<unknown> =>
      Object.fromEntries(e.agents.map((a) => [a, e.actionSpace(a).sample(rng)]));
    expectEnvError(C, 'step() before reset()', () => e.step({}));
    e.reset({ seed: 0 });
    const a0 = e.agents[0];
    for (const bad of invalidActions(e.actionSpace(a0))) {
      expectEnvError(C, `step({ ${a0}: ${String(bad)} })`, () =>
        e.step({ ...random(), [a0]: bad }),
      );
    }
    expectEnvError(C, 'an action for an unknown agent', () =>
      e.step({ ...random(), no_such_agent: 0 }),
    );
    for (let i = 0; i < maxSteps && e.agents.length > 0; i++) e.step(random());
    if (e.agents.length > 0) fail(C, `no episode ended within ${maxSteps} steps`);
    expectEnvError(C, 'step() after every agent is done', () => e.step({}));
  } else {
    const e = env as AECEnv<unknown, unknown>;
    expectEnvError(C, 'step() before reset()', () => e.step(null));
    e.reset({ seed: 0 });
    for (const bad of invalidActions(e.actionSpace(e.agentSelection))) {
      expectEnvError(C, `step(${String(bad)})`, () => e.step(bad));
    }
    for (let i = 0; i < maxSteps && e.agents.length > 0; i++) {
      const last = e.last();
      e.step(
        last.termination || last.truncation ? null : e.actionSpace(e.agentSelection).sample(rng),
      );
    }
    if (e.agents.length > 0) fail(C, `no episode ended within ${maxSteps} steps`);
    expectEnvError(C, 'step() after every agent is done', () => e.step(null));
  }
  env.close();
}

function invalidActions(space: Space<unknown>): unknown[] {
  const bad: unknown[] = [undefined, Number.NaN, 'not an action', { x: 1 }];
  if (space instanceof Discrete)
    bad.push(space.start + space.n, space.start - 1, 0.5 + space.start);
  return bad;
}

function expectEnvError(check: string, what: string, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (e instanceof EnvError) return;
    fail(check, `${what} threw ${String(e)}, expected an EnvError`);
  }
  fail(check, `${what} did not throw`);
}
