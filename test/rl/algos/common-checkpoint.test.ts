import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  Generator,
  readSafetensors,
  saveSafetensorsSync,
} from '../../../src/core/index.js';
import {
  evaluateAgent,
  getAlgorithm,
  loadAgentCheckpoint,
  loadDQN,
  loadReinforce,
  makePolicyNetwork,
  makeQNetwork,
  readCheckpointConfig,
  trainDQN,
  trainReinforce,
  type DQNAgent,
  type ReinforceAgent,
} from '../../../src/rl/algos/index.js';
import '../../../src/rl/index.js';
import { Box, Discrete } from '../../../src/rl/spaces/index.js';

let root: string;
let dqnDir: string;
let dqn: DQNAgent;
let rfDir: string;
let rf: ReinforceAgent;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'osmosis-ckpt-'));
  dqnDir = join(root, 'dqn');
  rfDir = join(root, 'reinforce');
  const common = { envId: 'CartPole-v1', seed: 3, totalSteps: 400 };
  dqn = (
    await trainDQN({
      ...common,
      outDir: dqnDir,
      hyperparams: { hidden: [16, 8], learningStarts: 100, trainFrequency: 20 },
    })
  ).agent as DQNAgent;
  rf = (await trainReinforce({ ...common, outDir: rfDir, hyperparams: { hidden: [12] } }))
    .agent as ReinforceAgent;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh copy of a checkpoint folder to break. */
function copyOf(dir: string, name: string): string {
  const out = join(root, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  for (const f of readdirSync(dir)) writeFileSync(join(out, f), readFileSync(join(dir, f)));
  return out;
}
const editConfig = (dir: string, edit: (c: Record<string, unknown>) => void): void => {
  const path = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(c);
  writeFileSync(path, JSON.stringify(c));
};

/** Rewrite model.safetensors through `edit` and record its new hash, as a consistent save. */
function editModel(
  dir: string,
  edit: (t: Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>) => void,
): void {
  const path = join(dir, 'model.safetensors');
  const file = readSafetensors(readFileSync(path));
  const tensors = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
  for (const [k, e] of file.tensors) {
    tensors.set(k, {
      dtype: 'F32',
      shape: e.shape,
      data: new Float32Array(e.data.slice().buffer),
    });
  }
  edit(tensors);
  saveSafetensorsSync(path, tensors);
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
  editConfig(dir, (c) => (c.modelSha256 = sha));
}

describe('agent checkpoints', () => {
  it('writes config.json and model.safetensors with prefixed names', async () => {
    expect(readdirSync(dqnDir).sort()).toEqual(['config.json', 'model.safetensors']);
    const config = await readCheckpointConfig(dqnDir);
    expect(config).toMatchObject({
      format: 'osmosis-agent',
      version: 1,
      algo: 'dqn',
      envId: 'CartPole-v1',
      envOptions: {},
      actionSpace: { type: 'Discrete', n: 2, start: 0 },
      networks: ['q_network'],
    });
    expect(config.observationSpace).toMatchObject({ type: 'Box', shape: [4] });
    expect(config.hyperparams).toMatchObject({ hidden: [16, 8], learningRate: 2.3e-3 });
    const names = [
      ...readSafetensors(readFileSync(join(dqnDir, 'model.safetensors'))).tensors.keys(),
    ];
    expect(names.sort()).toEqual([
      'q_network.0.bias',
      'q_network.0.weight',
      'q_network.2.bias',
      'q_network.2.weight',
      'q_network.4.bias',
      'q_network.4.weight',
    ]);
    const rfConfig = await readCheckpointConfig(rfDir);
    expect(rfConfig.networks).toEqual(['policy', 'value']);
  });

  it('round-trips: the loaded agent takes identical actions and evaluates identically', async () => {
    const loaded = await loadDQN(dqnDir);
    const rng = new Generator(11);
    for (let i = 0; i < 50; i++) {
      const obs = Float32Array.from({ length: 4 }, () => rng.normal(0, 0.5));
      expect(Array.from(loaded.qValues(obs))).toEqual(Array.from(dqn.qValues(obs)));
      expect(loaded.act(obs, { deterministic: true })).toBe(dqn.act(obs, { deterministic: true }));
    }
    const opts = { episodes: 3, seed: 5, deterministic: false };
    expect(evaluateAgent(loaded, opts)).toEqual(evaluateAgent(dqn, opts));

    const rfLoaded = await getAlgorithm('reinforce').load(rfDir);
    expect(evaluateAgent(rfLoaded, opts)).toEqual(evaluateAgent(rf, opts));
    expect(evaluateAgent(await loadReinforce(rfDir), { episodes: 2 })).toEqual(
      evaluateAgent(rf, { episodes: 2 }),
    );
  });

  it('refuses a checkpoint of another algorithm', async () => {
    await expect(loadReinforce(dqnDir)).rejects.toThrow(
      /config\.json: field 'algo': expected 'reinforce', got 'dqn'/,
    );
  });

  it('refuses corrupt or inconsistent config.json, naming the file and the field', async () => {
    const cases: [string, (c: Record<string, unknown>) => void, RegExp][] = [
      ['format', (c) => (c.format = 'other'), /field 'format': expected 'osmosis-agent'/],
      ['version', (c) => (c.version = 2), /field 'version': this Osmosis reads version 1, got 2/],
      ['extra-key', (c) => (c.surprise = 1), /field 'surprise'/],
      ['networks', (c) => (c.networks = 'q'), /field 'networks'/],
      [
        'hyper',
        (c) => ((c.hyperparams as Record<string, unknown>).gamma = 7),
        /field 'hyperparams\.gamma'/,
      ],
      [
        'hyper-key',
        (c) => ((c.hyperparams as Record<string, unknown>).bogus = 1),
        /field 'hyperparams\.bogus'/,
      ],
      [
        'obs-space',
        (c) => (c.observationSpace = new Box(-1, 1, [3]).toJSON()),
        /field 'observationSpace': .* does not match env 'CartPole-v1'/,
      ],
      [
        'act-space',
        (c) => (c.actionSpace = new Discrete(3).toJSON()),
        /field 'actionSpace': .* does not match env 'CartPole-v1'/,
      ],
      [
        'space-json',
        (c) => (c.actionSpace = { type: 'Nope' }),
        /field 'actionSpace': spaceFromJSON/,
      ],
      ['env', (c) => (c.envId = 'NoSuchEnv-v0'), /field 'envId': cannot make env 'NoSuchEnv-v0'/],
      ['env-options', (c) => (c.envOptions = { bogus: 1 }), /field 'envOptions'/],
    ];
    for (const [name, edit, message] of cases) {
      const dir = copyOf(dqnDir, `bad-${name}`);
      editConfig(dir, edit);
      const err = await loadDQN(dir).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(CheckpointError);
      expect((err as Error).message, name).toMatch(/bad-[\w-]+\/config\.json: /);
      expect((err as Error).message, name).toMatch(message);
    }
    const dir = copyOf(dqnDir, 'bad-json');
    writeFileSync(join(dir, 'config.json'), '{"format": "osmosis-agent", ');
    await expect(loadDQN(dir)).rejects.toThrow(/bad-json\/config\.json: not valid JSON/);
    rmSync(join(dir, 'config.json'));
    await expect(loadDQN(dir)).rejects.toThrow(/config\.json: cannot read the checkpoint config/);
  });

  it('refuses a model that does not match its config', async () => {
    // Shape mismatch: the hyperparams say [16, 8] but the weights are reshaped.
    let dir = copyOf(dqnDir, 'shape');
    editConfig(dir, (c) => ((c.hyperparams as Record<string, unknown>).hidden = [16, 9]));
    await expect(loadDQN(dir)).rejects.toThrow(
      /shape\/model\.safetensors: tensor 'q_network\.2\.weight' has shape \[8, 16\], the network expects \[9, 16\]/,
    );
    dir = copyOf(dqnDir, 'missing');
    editModel(dir, (t) => t.delete('q_network.4.bias'));
    await expect(loadDQN(dir)).rejects.toThrow(
      /missing\/model\.safetensors: missing tensor 'q_network\.4\.bias'/,
    );
    dir = copyOf(dqnDir, 'unexpected');
    editModel(dir, (t) =>
      t.set('q_network.9.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) }),
    );
    await expect(loadDQN(dir)).rejects.toThrow(/unexpected tensor 'q_network\.9\.weight'/);
    // A model replaced without its config (a torn save, or files from two runs).
    dir = copyOf(dqnDir, 'torn');
    writeFileSync(join(dir, 'model.safetensors'), readFileSync(join(rfDir, 'model.safetensors')));
    await expect(loadDQN(dir)).rejects.toThrow(
      /torn\/model\.safetensors: SHA-256 .* does not match/,
    );
    // Truncated safetensors with a matching hash still fails as a typed error.
    dir = copyOf(dqnDir, 'truncated');
    const bytes = readFileSync(join(dir, 'model.safetensors')).subarray(0, 50);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    editConfig(dir, (c) => (c.modelSha256 = createHash('sha256').update(bytes).digest('hex')));
    const err = await loadDQN(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/truncated\/model\.safetensors/);
  });

  it('loads without the env check when asked (custom envs in other processes)', async () => {
    const dir = copyOf(dqnDir, 'no-env-check');
    editConfig(dir, (c) => (c.envId = 'NoSuchEnv-v0'));
    const ckpt = await loadAgentCheckpoint(dir, { algo: 'dqn', checkEnv: false });
    expect(ckpt.tensors.size).toBe(6);
  });

  it('network factories name tensors as torch would', () => {
    const rng = new Generator(0);
    const q = makeQNetwork(new Box(-1, 1, [4]), new Discrete(2), { rng });
    expect([...q.stateDict().keys()]).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
      '4.weight',
      '4.bias',
    ]);
    expect(q.stateDict().get('0.weight')!.shape).toEqual([64, 4]);
    const g = makePolicyNetwork(new Box(-1, 1, [3]), new Box(-2, 2, [2]), { rng, hidden: [8] });
    expect([...g.stateDict().keys()]).toEqual([
      'log_std',
      'mean.0.weight',
      'mean.0.bias',
      'mean.2.weight',
      'mean.2.bias',
    ]);
    // Discrete observations are one-hot encoded: input width n.
    const d = makeQNetwork(new Discrete(5), new Discrete(3), { rng, orthogonal: true });
    expect(d.stateDict().get('0.weight')!.shape).toEqual([64, 5]);
    expect(
      d
        .stateDict()
        .get('0.bias')!
        .data.every((v) => v === 0),
    ).toBe(true);
  });
});
