import { readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  aecApiTest,
  aecToParallel,
  bombard,
  checkEnv,
  makeAec,
  makeAny,
  makeParallel,
  misuseTest,
  parallelApiTest,
  parallelToAec,
  registeredIds,
  seedTest,
  spec,
} from '../../src/rl/index.js';

/*
 * Every registered env id passes every conformance kit. Env families register themselves in
 * src/rl/envs/<family>/index.ts; all of those are imported here, so a family added later is
 * covered without touching this file.
 */
const envsDir = join(dirname(fileURLToPath(import.meta.url)), '../../src/rl/envs');
const families = readdirSync(envsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(envsDir, d.name, 'index.ts')))
  .map((d) => d.name);

// Top-level await: every family is registered before the tests are collected, so each id
// gets its own test.
for (const f of families) await import(pathToFileURL(join(envsDir, f, 'index.ts')).href);
const ids = registeredIds();

function conformance(id: string): void {
  const s = spec(id);
  const det = !s.nondeterministic;
  if (s.kind === 'single') {
    checkEnv(makeAny(id).env as never, { skipDeterminism: !det });
  } else if (s.kind === 'parallel') {
    parallelApiTest(makeParallel(id));
    // PettingZoo tests the conversions of every parallel env too.
    aecApiTest(parallelToAec(makeParallel(id)));
    parallelApiTest(aecToParallel(parallelToAec(makeParallel(id))));
  } else {
    aecApiTest(makeAec(id));
    parallelApiTest(aecToParallel(makeAec(id)));
  }
  if (det) seedTest(() => makeAny(id).env, { steps: 600 });
  const report = bombard(makeAny(id).env, { cycles: 10_000, seed: 7 });
  expect(report.steps).toBe(10_000);
  misuseTest(makeAny(id).env);
}

describe('registry conformance', () => {
  it('has the built-in envs registered', () => {
    for (const id of [
      'CartPole-v1',
      'Acrobot-v1',
      'MountainCar-v0',
      'GridWorld-v0',
      'MultiGridWorld-v0',
    ]) {
      expect(ids).toContain(id);
    }
  });

  for (const id of ids) {
    it(`${id} passes checkEnv/api tests, seedTest, bombard and misuseTest`, () => conformance(id));
  }

  it('found every env family folder', () => {
    expect(families).toEqual(expect.arrayContaining(['classic-control', 'gridworld']));
  });
});
