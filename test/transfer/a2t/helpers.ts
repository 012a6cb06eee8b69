import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { Generator, Tensor } from '../../../src/core/index.js';
import '../../../src/rl/index.js';
import '../../../src/rl/algos/index.js';
import {
  Box,
  Discrete,
  Env,
  isRegistered,
  register,
  type ResetArgs,
  type StepResult,
} from '../../../src/rl/index.js';
import { buildPpoParts, PpoAgent } from '../../../src/rl/algos/ppo/agent.js';
import { ppoSchema, type PpoConfig } from '../../../src/rl/algos/ppo/config.js';
import { DQNAgent, dqnSchema, type DQNHyperparams } from '../../../src/rl/algos/dqn.js';
import { makeQNetwork } from '../../../src/rl/algos/common/index.js';

/**
 * A contextual bandit: the observation is a one-hot context c in {0, 1}, the right action is c
 * (reward 1, else 0), and every episode is one step. Sources that always answer c are helpful,
 * ones that always answer 1 - c harmful.
 */
export class ContextBandit extends Env<Float32Array, number> {
  readonly observationSpace = new Box(0, 1, [2]);
  readonly actionSpace = new Discrete(2);
  private context = 0;

  reset(args?: ResetArgs): { observation: Float32Array; info: Record<string, unknown> } {
    this.seedReset(args);
    this.context = this.npRandom.uniform() < 0.5 ? 0 : 1;
    return { observation: this.obs(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    return {
      observation: this.obs(),
      reward: action === this.context ? 1 : 0,
      terminated: true,
      truncated: false,
      info: {},
    };
  }

  private obs(): Float32Array {
    const o = new Float32Array(2);
    o[this.context] = 1;
    return o;
  }
}

export const BANDIT = 'TransferTest/ContextBandit-v0';
if (!isRegistered(BANDIT)) register({ id: BANDIT, entryPoint: () => new ContextBandit() });

/** Small PPO settings for quick tests. */
export function tinyPpo(overrides: Partial<PpoConfig> = {}): PpoConfig {
  return ppoSchema.parse({
    numEnvs: 2,
    numSteps: 16,
    updateEpochs: 2,
    numMinibatches: 2,
    hidden: [8],
    learningRate: 3e-3,
    ...overrides,
  });
}

/**
 * A PPO agent on the bandit that answers the context (`helpful`) or its opposite, with
 * probability about 1 - e^-10: hidden [2] ReLU with W0 = I, W1 = +-10 I.
 */
export function banditAgent(helpful: boolean): PpoAgent {
  const obs = new Box(0, 1, [2]);
  const act = new Discrete(2);
  const cfg = ppoSchema.parse({ hidden: [2], activation: 'relu' });
  const parts = buildPpoParts(obs, act, cfg, new Generator(0));
  const s = helpful ? 10 : -10;
  parts.actor.loadStateDict(
    new Map([
      ['0.weight', new Tensor(Float32Array.from([1, 0, 0, 1]), [2, 2])],
      ['0.bias', new Tensor(new Float32Array(2), [2])],
      ['2.weight', new Tensor(Float32Array.from([s, -s, -s, s]), [2, 2])],
      ['2.bias', new Tensor(new Float32Array(2), [2])],
    ]),
  );
  return new PpoAgent(BANDIT, {}, obs, act, cfg, parts.actor, parts.critic, null, null);
}

const made: string[] = [];
// Registered while a test file imports this module: removes that file's folders at its end.
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `osmosis-${prefix}-`));
  made.push(d);
  return d;
}

/** Small DQN settings for quick tests on the bandit. */
export function tinyDqn(overrides: Partial<DQNHyperparams> = {}): DQNHyperparams {
  return dqnSchema.parse({
    learningRate: 1e-2,
    bufferSize: 1000,
    batchSize: 16,
    learningStarts: 32,
    trainFrequency: 4,
    targetUpdateInterval: 20,
    explorationFraction: 0.3,
    hidden: [8],
    ...overrides,
  });
}

/**
 * A DQN agent on the bandit whose Q-values are 1 for the context's answer (`helpful`) or its
 * opposite, 0 for the other action: hidden [2] ReLU with W0 = I, W1 = +-I (plus a bias of 1 and
 * -1 where the sign flips, so the values stay in {0, 1}).
 */
export function banditDqnAgent(helpful: boolean): DQNAgent {
  const obs = new Box(0, 1, [2]);
  const act = new Discrete(2);
  const hp = dqnSchema.parse({ hidden: [2] });
  const q = makeQNetwork(obs, act, { hidden: [2], rng: new Generator(0) });
  // helpful: Q(c, a) = [a == c]; harmful: Q(c, a) = [a != c] = 1 - [a == c].
  const w = helpful ? [1, 0, 0, 1] : [-1, 0, 0, -1];
  q.loadStateDict(
    new Map([
      ['0.weight', new Tensor(Float32Array.from([1, 0, 0, 1]), [2, 2])],
      ['0.bias', new Tensor(new Float32Array(2), [2])],
      ['2.weight', new Tensor(Float32Array.from(w), [2, 2])],
      ['2.bias', new Tensor(Float32Array.from(helpful ? [0, 0] : [1, 1]), [2])],
    ]),
  );
  return new DQNAgent(q, BANDIT, {}, obs, act, hp);
}
