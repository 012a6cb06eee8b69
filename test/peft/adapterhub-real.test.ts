import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadSafetensors, saveSafetensors } from '../../src/core/index.js';
import {
  adapterHubFormat,
  BN_FIELDS,
  bottleneckConfigSchema,
  getPeftModel,
  PeftModel,
  pfeifferConfig,
  type BottleneckConfigInput,
} from '../../src/peft/index.js';
import { collectWarnings, FAMILIES, logits, perturb, tempDirs } from './helpers.js';

/** Configs written by AdapterHub itself (sources in test/fixtures/adapterhub/README.md). */
const REAL = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'adapterhub');
const readJson = (p: string): Record<string, unknown> =>
  JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

const quiet = { onWarning: () => undefined };
const bert = FAMILIES.find((f) => f.name === 'bert')!;
const tmp = tempDirs();

/** Rewrite a safetensors file with renamed keys (what another release or base class saves). */
async function renameKeys(path: string, rename: (k: string) => string | null): Promise<void> {
  const file = await loadSafetensors(path);
  const out: Record<string, { dtype: 'F32'; shape: number[]; data: Uint8Array }> = {};
  for (const [k, e] of file.tensors) {
    const n = rename(k);
    if (n !== null) out[n] = { dtype: 'F32', shape: [...e.shape], data: e.data.slice() };
  }
  await saveSafetensors(path, out);
}

/** A trained-looking BERT adapter saved by Osmosis under `name`, and its logits. */
async function savedBert(name: string, config: BottleneckConfigInput) {
  const peft = getPeftModel(await bert.load(), config, { ...quiet, adapterName: name });
  perturb(peft, 11);
  const dir = tmp();
  await peft.savePretrained(dir, { selectedAdapters: [name] });
  return { dir: join(dir, name), before: logits(peft, bert.inputs()) };
}

describe('AdapterHub adapter_config.json written by adapters 1.0.1 (MD_crosslingual)', () => {
  const real = readJson(join(REAL, 'md-crosslingual', 'adapter_config.json'));

  it("reads as AdapterHub's seq_bn (Pfeiffer) with every field it holds", () => {
    const { input, savedName } = adapterHubFormat.readConfig(real, []);
    expect(savedName).toBe('md');
    const parsed = bottleneckConfigSchema.parse(input);
    const seqBn = bottleneckConfigSchema.parse(pfeifferConfig());
    for (const k of BN_FIELDS)
      expect(parsed[k as keyof typeof parsed], k).toEqual(seqBn[k as keyof typeof seqBn]);
    expect(parsed.base_model_name_or_path).toBe('bert-base-multilingual-cased');
  });

  it('Osmosis writes the same top-level keys and the same config values', async () => {
    const { dir } = await savedBert('md', adapterHubFormat.readConfig(real, []).input as never);
    const ours = readJson(join(dir, 'adapter_config.json'));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(real).sort());
    const theirs = real.config as Record<string, unknown>;
    const mine = ours.config as Record<string, unknown>;
    for (const [k, v] of Object.entries(theirs)) expect(mine[k], k).toEqual(v);
    // stochastic_depth came to BnConfig after 1.0.1; nothing else is ours alone.
    expect(Object.keys(mine).filter((k) => !(k in theirs))).toEqual(['stochastic_depth']);
    expect(ours).toMatchObject({ model_type: 'bert', name: 'md', hidden_size: 32 });
  });

  it('loads a directory holding the real config and head_config.json, warning about the head', async () => {
    const { dir, before } = await savedBert('md', pfeifferConfig());
    copyFileSync(
      join(REAL, 'md-crosslingual', 'adapter_config.json'),
      join(dir, 'adapter_config.json'),
    );
    copyFileSync(join(REAL, 'md-crosslingual', 'head_config.json'), join(dir, 'head_config.json'));
    const w = collectWarnings();
    const loaded = await PeftModel.fromPretrained(await bert.load(), dir, {
      onWarning: w.onWarning,
    });
    expect(logits(loaded, bert.inputs())).toEqual(before);
    expect(w.list.join('\n')).toMatch(/head_config\.json not loaded/);
  });
});

describe('adapter-transformers 1.x files (MAD-X era, as in the Hub index)', () => {
  const entry = readJson(join(REAL, 'hub', 'bert-base-multilingual-cased-en-wiki_pfeiffer.json'));
  const info = entry.info as { adapter_config: Record<string, unknown>; model_name: string };
  /** The outer fields 1.x wrote around the config: no version, the adapter type. */
  const v1 = (config: Record<string, unknown>, type: string) => ({
    config,
    hidden_size: 32,
    model_name: info.model_name,
    model_type: 'bert',
    name: 'en',
    type,
  });

  it("renames 'gelu' to gelu_new (no version) and reads the 1.x module names", async () => {
    const { dir, before } = await savedBert('en', {
      ...pfeifferConfig(),
      ...(info.adapter_config as object),
      non_linearity: 'gelu_new',
    });
    writeFileSync(
      join(dir, 'adapter_config.json'),
      JSON.stringify(v1(info.adapter_config, 'text_lang')),
    );
    await renameKeys(join(dir, 'adapter.safetensors'), (k) =>
      k.replace('.output.adapters.', '.output.layer_text_lang_adapters.'),
    );
    const loaded = await PeftModel.fromPretrained(await bert.load(), dir, quiet);
    expect(loaded.peftConfig.default).toMatchObject({
      non_linearity: 'gelu_new',
      reduction_factor: 2,
    });
    expect(logits(loaded, bert.inputs())).toEqual(before);
  });

  it("reads MAD-X's 1.x language adapter: nested invertible_adapter, 1.x module names", async () => {
    const { dir, before } = await savedBert(
      'en',
      pfeifferConfig({ inv_adapter: 'nice', inv_adapter_reduction_factor: 2 }),
    );
    const {
      inv_adapter: _a,
      inv_adapter_reduction_factor: _b,
      ...rest
    } = readJson(join(REAL, 'hub', 'pfeiffer+inv.config.json'));
    const nested = { ...rest, invertible_adapter: { block_type: 'nice', reduction_factor: 2 } };
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(v1(nested, 'text_lang')));
    await renameKeys(join(dir, 'adapter.safetensors'), (k) =>
      k
        .replace('invertible_adapters.', 'invertible_lang_adapters.')
        .replace('.output.adapters.', '.output.layer_text_lang_adapters.'),
    );
    const keys = [...(await loadSafetensors(join(dir, 'adapter.safetensors'))).tensors.keys()];
    expect(keys).toContain('bert.invertible_lang_adapters.en.F.0.weight');
    const loaded = await PeftModel.fromPretrained(await bert.load(), dir, quiet);
    expect(loaded.peftConfig.default).toMatchObject({
      inv_adapter: 'nice',
      inv_adapter_reduction_factor: 2,
    });
    expect(logits(loaded, bert.inputs())).toEqual(before);
  });

  it('a 1.x task adapter whose config names an invertible adapter the file lacks loads without it', async () => {
    const inv = readJson(join(REAL, 'hub', 'pfeiffer+inv.config.json'));
    const { dir, before } = await savedBert('en', pfeifferConfig());
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(v1(inv, 'text_task')));
    const loaded = await PeftModel.fromPretrained(await bert.load(), dir, quiet);
    expect(loaded.peftConfig.default).toMatchObject({ inv_adapter: null });
    expect(logits(loaded, bert.inputs())).toEqual(before);
    // A language adapter keeps it, and its missing weights are an error.
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(v1(inv, 'text_lang')));
    await expect(PeftModel.fromPretrained(await bert.load(), dir, quiet)).rejects.toThrow(
      /missing 'bert\.invertible_adapters\.default\.F\.0\.weight'/,
    );
  });
});

describe('AdapterHub configs Osmosis cannot read fail with ConfigErrors naming the field', () => {
  const base = readJson(join(REAL, 'md-crosslingual', 'adapter_config.json'));
  const bn = base.config as Record<string, unknown>;
  const read = (config: unknown) => () => adapterHubFormat.readConfig({ ...base, config }, []);

  it('another method (architecture), a missing required field, an unknown preset', () => {
    expect(read({ architecture: 'lora', r: 8, alpha: 8 })).toThrow(ConfigError);
    expect(read({ architecture: 'lora', r: 8, alpha: 8 })).toThrow(/architecture is "lora"/);
    const { reduction_factor: _r, ...noRf } = bn;
    expect(read(noRf)).toThrow(/required field\(s\) reduction_factor/);
    expect(read('par_bn')).toThrow(/unknown config preset 'par_bn'/);
  });

  it("a config object without original_ln_before takes BnConfig's default (false)", () => {
    const { original_ln_before: _o, ...rest } = bn;
    expect(adapterHubFormat.readConfig({ ...base, config: rest }, []).input).toMatchObject({
      original_ln_before: false,
    });
    const preset = adapterHubFormat.readConfig({ ...base, config: 'seq_bn' }, []).input;
    expect(bottleneckConfigSchema.parse(preset).original_ln_before).toBe(true);
  });
});
