import { Generator as Rng } from '../../core/rng.js';
import type { AECEnv } from '../aec-env.js';
import type { Env } from '../env.js';
import type { AgentDict, ParallelEnv } from '../parallel-env.js';
import { kindOf, type AnyKindEnv } from './kinds.js';
import { expect, sameValue, sampleAction } from './util.js';

export interface SeedTestOptions {
  /** Steps (agent turns for AEC envs) to compare; PettingZoo's seed_test uses 500+. */
  steps?: number;
  seed?: number;
}

/**
 * pettingzoo.test.seed_test for any env kind: two envs from `makeEnv`, reset with the same seed
 * and driven by actions from two identically seeded generators, must produce identical
 * observations, rewards, flags and infos for `steps` steps, across episode boundaries (later
 * resets are unseeded, so the envs' own streams must continue identically too).
 */
export function seedTest(makeEnv: () => AnyKindEnv, opts: SeedTestOptions = {}): void {
  const steps = opts.steps ?? 500;
  const seed = opts.seed ?? 42;
  const a = makeEnv();
  const b = makeEnv();
  const C = `seedTest(${a})`;
  const kind = kindOf(a);
  expect(kindOf(b) === kind, C, () => 'makeEnv returned envs of different kinds');
  const trace = (x: AnyKindEnv, rng: Rng): Iterator<unknown> =>
    kind === 'single'
      ? traceSingle(x as Env<unknown, unknown>, rng, seed, steps)
      : kind === 'parallel'
        ? traceParallel(x as ParallelEnv<unknown, unknown>, rng, seed, steps)
        : traceAec(x as AECEnv<unknown, unknown>, rng, seed, steps);
  // The envs advance in lockstep, so state shared between instances (a module-level counter,
  // a shared generator) shows up as divergence too.
  const ta = trace(a, new Rng(seed));
  const tb = trace(b, new Rng(seed));
  for (let i = 0; ; i++) {
    const x = ta.next();
    const y = tb.next();
    expect(x.done === y.done, C, () => `trajectories end at different lengths (entry ${i})`);
    if (x.done) break;
    expect(sameValue(x.value, y.value), C, () => `envs seeded with ${seed} diverge at entry ${i}`);
  }
  a.close();
  b.close();
}

function* traceSingle(
  env: Env<unknown, unknown>,
  rng: Rng,
  seed: number,
  steps: number,
): Generator<unknown> {
  let r = env.reset({ seed });
  yield r;
  let info = r.info;
  for (let i = 0; i < steps; i++) {
    const s = env.step(sampleAction(env.actionSpace, rng, info));
    yield s;
    info = s.info;
    if (s.terminated || s.truncated) {
      r = env.reset();
      yield r;
      info = r.info;
    }
  }
}

function* traceParallel(
  env: ParallelEnv<unknown, unknown>,
  rng: Rng,
  seed: number,
  steps: number,
): Generator<unknown> {
  let r = env.reset({ seed });
  yield [r, [...env.agents]];
  let infos: AgentDict<unknown> = r.infos;
  for (let i = 0; i < steps; i++) {
    const actions: AgentDict<unknown> = {};
    for (const a of env.agents)
      actions[a] = sampleAction(env.actionSpace(a), rng, infos[a] as Record<string, unknown>);
    const s = env.step(actions);
    yield [s, [...env.agents]];
    infos = s.infos;
    if (env.agents.length === 0) {
      r = env.reset();
      yield [r, [...env.agents]];
      infos = r.infos;
    }
  }
}

function* traceAec(
  env: AECEnv<unknown, unknown>,
  rng: Rng,
  seed: number,
  steps: number,
): Generator<unknown> {
  env.reset({ seed });
  for (let i = 0; i < steps; i++) {
    if (env.agents.length === 0) env.reset();
    const agent = env.agentSelection;
    const last = env.last();
    yield [agent, last];
    env.step(
      last.termination || last.truncation
        ? null
        : sampleAction(env.actionSpace(agent), rng, last.info),
    );
  }
}
