/** Checkpoint files, rotation, metrics.jsonl durability and the data order, in isolation. */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointError, Tensor } from '../../src/core/index.js';
import {
  concatPadded,
  epochPermutation,
  JsonlWriter,
  lastCheckpoint,
  listCheckpoints,
  readCheckpoint,
  readJsonl,
  removeStaleTemps,
  rotateCheckpoints,
  Trainer,
} from '../../src/train/index.js';
import { tempDir, TinyClassifier, tinyDataset, type TinyExample } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});
function outDir(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('metrics.jsonl', () => {
  it('skips and cuts off a torn last line, and keeps the first n lines on resume', () => {
    const path = join(outDir(), 'metrics.jsonl');
    const w = new JsonlWriter(path, { fresh: true });
    w.append({ step: 1, loss: 0.5 });
    w.append({ step: 2, loss: NaN });
    w.close();
    appendFileSync(path, '{"step": 3, "lo'); // a process killed mid-append
    expect(readJsonl(path)).toEqual([
      { step: 1, loss: 0.5 },
      { step: 2, loss: null },
    ]);
    const again = new JsonlWriter(path);
    expect(again.lines).toBe(2);
    again.append({ step: 3 });
    again.close();
    expect(readFileSync(path, 'utf8')).toBe(
      '{"step":1,"loss":0.5}\n{"step":2,"loss":null}\n{"step":3}\n',
    );
    new JsonlWriter(path, { keepLines: 1 }).close();
    expect(readJsonl(path)).toEqual([{ step: 1, loss: 0.5 }]);
  });

  it('a damaged line in the middle is an error naming the line', () => {
    const path = join(outDir(), 'm.jsonl');
    writeFileSync(path, '{"a":1}\nnot json\n{"b":2}\n');
    expect(() => readJsonl(path)).toThrow(/line 2/);
  });
});

describe('checkpoint files', () => {
  async function trained(): Promise<string> {
    const dir = outDir();
    const trainer = new Trainer<TinyExample>({
      model: new TinyClassifier(0),
      args: {
        outputDir: dir,
        maxSteps: 4,
        perDeviceTrainBatchSize: 4,
        saveSteps: 2,
        disableProgressBar: true,
      },
      trainDataset: tinyDataset(8),
    });
    await trainer.train();
    return dir;
  }

  it('writes every part; readers validate the trainer state strictly', async () => {
    const dir = await trained();
    const ckpt = await readCheckpoint(join(dir, 'checkpoint-4'));
    // Saved after the epoch's last step, before its epoch-end events: epoch 1, 2 of 2 steps done.
    expect(ckpt.state).toMatchObject({ globalStep: 4, epochIndex: 1, stepsInEpoch: 2 });
    expect([...ckpt.model.tensors.keys()].sort()).toEqual(
      ['emb.weight', 'head.bias', 'head.weight', 'norm.bias', 'norm.weight'].sort(),
    );
    expect(ckpt.optimizer.paramGroups).toHaveLength(2);
    expect(ckpt.scheduler.lastEpoch).toBe(4);
    const statePath = join(dir, 'checkpoint-4', 'trainer_state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    writeFileSync(statePath, JSON.stringify({ ...state, extra: 1 }));
    await expect(readCheckpoint(join(dir, 'checkpoint-4'))).rejects.toThrow(/extra/);
    writeFileSync(statePath, JSON.stringify({ ...state, globalStep: -1 }));
    await expect(readCheckpoint(join(dir, 'checkpoint-4'))).rejects.toThrow(CheckpointError);
    // lastCheckpoint passes over the damaged newest checkpoint.
    expect(await lastCheckpoint(dir)).toBe(join(dir, 'checkpoint-2'));
    rmSync(join(dir, 'checkpoint-2', 'optimizer.safetensors'));
    await expect(readCheckpoint(join(dir, 'checkpoint-2'))).rejects.toThrow(
      /optimizer\.safetensors/,
    );
  });

  it('rotation keeps the best checkpoint and, with a limit of 1, the last one too', async () => {
    const dir = outDir();
    for (const s of [1, 2, 3, 4]) mkdirSync(join(dir, `checkpoint-${s}`));
    mkdirSync(join(dir, 'checkpoint-x'));
    const best = join(dir, 'checkpoint-2');
    expect(await rotateCheckpoints(dir, 1, best)).toEqual([
      join(dir, 'checkpoint-1'),
      join(dir, 'checkpoint-3'),
    ]);
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([2, 4]);
    expect(await rotateCheckpoints(dir, null, null)).toEqual([]);
  });
});

describe('stale temporaries', () => {
  it("removes a dead process's temp dirs and puts back a checkpoint it had moved aside", async () => {
    const dir = outDir();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid is not running
    mkdirSync(join(dir, `.checkpoint-3.old-${dead}-1`));
    writeFileSync(join(dir, `.checkpoint-3.old-${dead}-1`, 'trainer_state.json'), '{}');
    mkdirSync(join(dir, `.checkpoint-4.tmp-${dead}-2`));
    mkdirSync(join(dir, 'checkpoint-5'));
    mkdirSync(join(dir, `.checkpoint-5.old-${dead}-3`));
    mkdirSync(join(dir, `.checkpoint-6.tmp-${process.pid}-4`)); // ours: left alone
    await removeStaleTemps(dir);
    expect(readdirSync(dir).sort()).toEqual(
      [`.checkpoint-6.tmp-${process.pid}-4`, 'checkpoint-3', 'checkpoint-5'].sort(),
    );
    expect(readdirSync(join(dir, 'checkpoint-3'))).toEqual(['trainer_state.json']);
  });
});

describe('data order and gathering', () => {
  it('each epoch has its own permutation, a function of (seed, epoch) alone', () => {
    const p0 = epochPermutation(42, 0, 50);
    const p3 = epochPermutation(42, 3, 50);
    expect(Array.from(epochPermutation(42, 3, 50))).toEqual(Array.from(p3));
    expect(Array.from(p0)).not.toEqual(Array.from(p3));
    expect(Array.from(epochPermutation(43, 0, 50))).not.toEqual(Array.from(p0));
    expect([...p3].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('concatPadded pads the second dimension with -100', () => {
    const a = new Tensor(Int32Array.from([1, 2]), [1, 2]);
    const b = new Tensor(Int32Array.from([3, 4, 5, 6, 7, 8]), [2, 3]);
    expect(concatPadded([a, b]).toArray()).toEqual([
      [1, 2, -100],
      [3, 4, 5],
      [6, 7, 8],
    ]);
  });
});
