import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  decodeFloat32,
  decodeFloat64,
  decodeInt32,
  Generator,
  loadSafetensors,
} from '../../src/core/index.js';
import { GPT2LMHeadModel } from '../../src/models/index.js';
import { getPeftModel, PeftModel, pfeifferConfig } from '../../src/peft/index.js';
import { parseTorchBin } from '../../src/peft/utils/torch-bin.js';
import { HF_REAL } from '../models/hf-real.js';
import { FAMILIES, logits, tempDirs } from './helpers.js';

/** Written by torch.save: scripts/golden/make_torch_bin_fixtures.py (torch 2.13.0+cpu). */
const DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'adapterhub',
  'torch-bin',
);
const REAL_CONFIG = join(DIR, '..', 'md-crosslingual', 'adapter_config.json');
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const bert = FAMILIES.find((f) => f.name === 'bert')!;
const quiet = { onWarning: () => undefined };
const tmp = tempDirs();

describe('torch.save zip files of plain tensors (AdapterHub pytorch_adapter.bin)', () => {
  it("reads a state_dict's dtypes, shapes and values, a storage offset and a 0-d tensor", () => {
    const want = JSON.parse(readFileSync(join(DIR, 'mixed.json'), 'utf8')) as Record<
      string,
      { dtype: string; shape: number[]; data: number[] }
    >;
    const got = parseTorchBin(bytes('mixed.bin'), 'mixed.bin');
    expect([...got.keys()]).toEqual(Object.keys(want));
    const dtypes: Record<string, string> = {
      float32: 'F32',
      float16: 'F16',
      bfloat16: 'BF16',
      float64: 'F64',
      int64: 'I64',
    };
    for (const [k, w] of Object.entries(want)) {
      const e = got.get(k)!;
      expect(e.dtype, k).toBe(dtypes[w.dtype]);
      expect(e.shape, k).toEqual(w.shape);
      const values = e.dtype === 'I64' ? Array.from(decodeInt32(e)) : Array.from(decodeFloat64(e));
      expect(values, k).toEqual(w.data);
    }
  });

  it('gives the tensors safetensors holds for the same dict, bit for bit', async () => {
    const bin = parseTorchBin(bytes('pytorch_adapter.bin'), 'bin');
    const ref = (await loadSafetensors(join(DIR, 'adapter.safetensors'))).tensors;
    expect([...bin.keys()].sort()).toEqual([...ref.keys()].sort());
    for (const [k, e] of ref) {
      expect(bin.get(k)!.shape, k).toEqual(e.shape);
      expect(decodeFloat32(bin.get(k)!), k).toEqual(decodeFloat32(e));
    }
  });

  it('an AdapterHub directory with only pytorch_adapter.bin loads as with safetensors', async () => {
    const dirs = [tmp(), tmp()];
    for (const d of dirs) copyFileSync(REAL_CONFIG, join(d, 'adapter_config.json'));
    copyFileSync(join(DIR, 'pytorch_adapter.bin'), join(dirs[0], 'pytorch_adapter.bin'));
    copyFileSync(join(DIR, 'adapter.safetensors'), join(dirs[1], 'adapter.safetensors'));
    const [fromBin, fromSafe] = await Promise.all(
      dirs.map(async (d) => PeftModel.fromPretrained(await bert.load(), d, quiet)),
    );
    const base = logits(await bert.load(), bert.inputs());
    expect(logits(fromBin, bert.inputs())).toEqual(logits(fromSafe, bert.inputs()));
    expect(logits(fromBin, bert.inputs())).not.toEqual(base);
    // The pickle is the fallback: a safetensors file beside it wins.
    const peft = getPeftModel(await bert.load(), pfeifferConfig(), { ...quiet, adapterName: 'md' });
    const both = tmp();
    await peft.savePretrained(both);
    copyFileSync(join(DIR, 'pytorch_adapter.bin'), join(both, 'md', 'pytorch_adapter.bin'));
    const loaded = await PeftModel.fromPretrained(await bert.load(), join(both, 'md'), quiet);
    expect(logits(loaded, bert.inputs())).toEqual(logits(peft, bert.inputs()));
  });

  it("a PEFT directory with adapter_model.bin (peft's tensors, torch.save) loads as its safetensors", async () => {
    const gpt2 = async () => (await GPT2LMHeadModel.fromPretrained(join(HF_REAL, 'gpt2'))).eval();
    const ids = FAMILIES.find((f) => f.name === 'gpt2')!.inputs();
    const fromBin = await PeftModel.fromPretrained(
      await gpt2(),
      join(DIR, 'peft-gpt2-lora'),
      quiet,
    );
    const fromSafe = await PeftModel.fromPretrained(
      await gpt2(),
      join(HF_REAL, 'adapters', 'gpt2-lora'),
      quiet,
    );
    const input = { inputIds: ids.inputIds!, attentionMask: ids.attentionMask };
    expect(logits(fromBin, input)).toEqual(logits(fromSafe, input));
    expect(logits(fromBin, input)).not.toEqual(logits(await gpt2(), input));
  });

  it('never calls what the pickle names: any other global is a CheckpointError naming it', () => {
    const from = Buffer.from('collections\nOrderedDict\n');
    const to = Buffer.from('webbrowser\nopen_new_tab\n');
    const m = bytes('mixed.bin');
    const i = Buffer.from(m).indexOf(from);
    expect(i).toBeGreaterThan(0);
    m.set(to, i);
    expect(() => parseTorchBin(m, 'evil.bin')).toThrow(CheckpointError);
    expect(() => parseTorchBin(m, 'evil.bin')).toThrow(
      /evil\.bin: refuses to load 'webbrowser\.open_new_tab'/,
    );
  });

  it('truncation at every byte and random bit flips give CheckpointErrors or a valid dict, never a crash', () => {
    const b = bytes('mixed.bin');
    for (let n = 0; n < b.length; n++) {
      expect(() => parseTorchBin(b.subarray(0, n), 'cut.bin'), `cut at ${n}`).toThrow(
        CheckpointError,
      );
    }
    const rng = new Generator(5);
    for (let trial = 0; trial < 2000; trial++) {
      const c = b.slice();
      const pos = Math.floor(rng.uniform() * c.length);
      c[pos] ^= 1 << Math.floor(rng.uniform() * 8);
      try {
        parseTorchBin(c, 'flip.bin');
      } catch (err) {
        expect(err, `flip at ${pos}`).toBeInstanceOf(CheckpointError);
      }
    }
  });

  it('garbage named pytorch_adapter.bin is a CheckpointError naming the file', async () => {
    const dir = tmp();
    copyFileSync(REAL_CONFIG, join(dir, 'adapter_config.json'));
    writeFileSync(join(dir, 'pytorch_adapter.bin'), 'PK not a zip');
    await expect(PeftModel.fromPretrained(await bert.load(), dir, quiet)).rejects.toThrow(
      /pytorch_adapter\.bin: not a zip file/,
    );
  });
});
