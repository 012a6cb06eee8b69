import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, Generator } from '../../src/core/index.js';
import {
  getPeftModel,
  PeftModel,
  PrefixEncoder,
  type PeftConfigInput,
} from '../../src/peft/index.js';
import {
  expected,
  expectedLogits,
  HF_REAL,
  loadBase,
  modelInputs,
  readJson,
  tensorShapes,
  worstScaledError,
} from '../models/hf-real.js';
import { collectWarnings, logits, tempDirs } from './helpers.js';

/**
 * Adapters written by the real peft 0.21 (scripts/golden/make_hf_real_fixtures.py): they load
 * without warnings and give peft's logits, merged or not; an adapter made here from the same
 * config that the generator passed to peft saves the same tensor names, shapes and config fields.
 */

const tmp = tempDirs();
const ADAPTERS = Object.keys(expected.adapters);
const MERGEABLE = ADAPTERS.filter((n) => ['LORA', 'IA3'].includes(expected.adapters[n].peft_type));
const LLAMA_LINEAR = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/** The configs the generator gave peft's get_peft_model (the same fields, in PEFT's names). */
const CONFIGS: Record<string, PeftConfigInput> = {
  'gpt2-lora': {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: 4,
    lora_alpha: 8,
    target_modules: ['c_attn', 'c_proj'],
    fan_in_fan_out: true,
    use_rslora: true,
  },
  'llama-lora': {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: 4,
    lora_alpha: 8,
    target_modules: LLAMA_LINEAR,
    rank_pattern: { 'layers.1.self_attn.q_proj': 2 },
    alpha_pattern: { o_proj: 16 },
    use_rslora: true,
  },
  'bert-seqcls-lora': {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    r: 4,
    lora_alpha: 16,
    target_modules: '.*\\.attention\\.self\\.(query|value)',
  },
  'gpt2-ia3': { peft_type: 'IA3', task_type: 'CAUSAL_LM' },
  'llama-ia3': { peft_type: 'IA3', task_type: 'CAUSAL_LM' },
  'bert-seqcls-ia3': { peft_type: 'IA3', task_type: 'SEQ_CLS' },
  'gpt2-prompt': { peft_type: 'PROMPT_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: 3 },
  'llama-prompt': { peft_type: 'PROMPT_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: 3 },
  'bert-seqcls-prompt': { peft_type: 'PROMPT_TUNING', task_type: 'SEQ_CLS', num_virtual_tokens: 3 },
  'gpt2-prefix': { peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: 3 },
  'gpt2-prefix-projection': {
    peft_type: 'PREFIX_TUNING',
    task_type: 'CAUSAL_LM',
    num_virtual_tokens: 3,
    prefix_projection: true,
    encoder_hidden_size: 16,
  },
  'llama-prefix': { peft_type: 'PREFIX_TUNING', task_type: 'CAUSAL_LM', num_virtual_tokens: 3 },
  'bert-seqcls-prefix': { peft_type: 'PREFIX_TUNING', task_type: 'SEQ_CLS', num_virtual_tokens: 3 },
  'gpt2-lora-bias-all': {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: 2,
    lora_alpha: 4,
    target_modules: ['c_attn'],
    bias: 'all',
  },
  'bert-seqcls-lora-bias-lora-only': {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    r: 2,
    target_modules: ['query', 'value'],
    bias: 'lora_only',
    init_lora_weights: 'gaussian',
  },
  'bert-qa-lora': { peft_type: 'LORA', task_type: 'QUESTION_ANS', r: 4, lora_alpha: 8 },
  'bert-qa-prefix': {
    peft_type: 'PREFIX_TUNING',
    task_type: 'QUESTION_ANS',
    num_virtual_tokens: 3,
  },
};

async function loadAdapter(name: string, onWarning?: (m: string) => void): Promise<PeftModel> {
  const base = await loadBase(expected.adapters[name].model);
  return PeftModel.fromPretrained(base, join(HF_REAL, 'adapters', name), { onWarning });
}

function expectPeftLogits(actual: Float32Array, name: string): void {
  const want = expectedLogits(`adapters/${name}`);
  expect(actual.length).toBe(want.data.length);
  expect(worstScaledError(actual, want.data)).toBeLessThanOrEqual(1);
}

describe('adapters saved by peft', () => {
  it('cover every method on every family', () => {
    expect(expected.versions.peft).toBe('0.21.0');
    expect(Object.keys(CONFIGS).sort()).toEqual([...ADAPTERS].sort());
  });

  it.each(ADAPTERS)('%s loads without warnings and gives peft’s logits', async (name) => {
    const w = collectWarnings();
    const peft = await loadAdapter(name, w.onWarning);
    expect(w.list).toEqual([]);
    const out = logits(peft, modelInputs(expected.adapters[name].model));
    expectPeftLogits(out, name);
    // The adapter moves the logits well beyond the tolerance (the test can fail).
    const base = expectedLogits(expected.adapters[name].model).data;
    if (base.length === out.length) expect(worstScaledError(out, base)).toBeGreaterThan(100);
  });

  it.each(MERGEABLE)('%s merged (and merged-and-unloaded) gives the same logits', async (name) => {
    const peft = await loadAdapter(name);
    const inputs = modelInputs(expected.adapters[name].model);
    peft.merge();
    expectPeftLogits(logits(peft, inputs), name);
    peft.unmerge();
    expectPeftLogits(logits(peft, inputs), name);
    expectPeftLogits(logits(peft.mergeAndUnload(), inputs), name);
  });
});

describe('several adapters saved together by peft', () => {
  const { model, adapter_names: names } = expected.multi['gpt2-lora-two'];
  const dir = join(HF_REAL, 'adapters', 'gpt2-lora-two');
  const files = (root: string): string[] =>
    readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => !f.endsWith('README.md') && statSync(join(root, f)).isFile())
      .sort();

  it("load ('default' from the directory, others from subdirectories) and switch", async () => {
    expect(names).toEqual(['default', 'second']);
    const w = collectWarnings();
    const peft = await PeftModel.fromPretrained(await loadBase(model), dir, w);
    await peft.loadAdapter(join(dir, 'second'), 'second');
    expect(w.list).toEqual([]);
    for (const name of names) {
      peft.setAdapter(name);
      const key = `adapters/gpt2-lora-two${name === 'default' ? '' : `/${name}`}`;
      const want = expectedLogits(key).data;
      expect(worstScaledError(logits(peft, modelInputs(model)), want), name).toBeLessThan(1);
    }
    // Saved again by Osmosis: the same files, tensors and config fields.
    const out = tmp();
    await peft.savePretrained(out);
    expect(files(out)).toEqual(files(dir));
    for (const sub of ['', 'second']) {
      const st = join(sub, 'adapter_model.safetensors');
      expect(tensorShapes(join(out, st))).toEqual(tensorShapes(join(dir, st)));
      const cfg = join(sub, 'adapter_config.json');
      // Read from peft's files, so peft_version is kept and written back too.
      expect(readJson(join(out, cfg))).toEqual(readJson(join(dir, cfg)));
    }
  });
});

describe("peft 0.21's question-answering forward", () => {
  const dropped = ADAPTERS.filter((n) => expected.adapters[n].peft_forward_drops_token_type_ids);

  it.each(dropped)('%s: peft ignores token_type_ids; without them we agree', async (name) => {
    // The generator recorded both: `<name>` with the token types reaching the model (what the
    // tests above compare against) and `<name>/peft-forward`, what peft's forward returns.
    expect(dropped).toEqual(['bert-qa-lora', 'bert-qa-prefix']);
    const peft = await loadAdapter(name);
    const { tokenTypeIds, ...withoutTypes } = modelInputs(expected.adapters[name].model);
    expect(tokenTypeIds).toBeDefined();
    const peftForward = expectedLogits(`adapters/${name}/peft-forward`).data;
    expect(worstScaledError(logits(peft, withoutTypes), peftForward)).toBeLessThanOrEqual(1);
    // The token types matter: the two references are far apart.
    const withTypes = expectedLogits(`adapters/${name}`).data;
    expect(worstScaledError(peftForward, withTypes)).toBeGreaterThan(100);
  });
});

describe('adapters saved by Osmosis have peft’s layout', () => {
  it.each(ADAPTERS)('%s: tensor names and shapes, config fields and values', async (name) => {
    const real = join(HF_REAL, 'adapters', name);
    const base = await loadBase(expected.adapters[name].model);
    const peft = getPeftModel(base, CONFIGS[name], { rng: new Generator(1) });
    const dir = tmp();
    await peft.savePretrained(dir);
    expect(tensorShapes(join(dir, 'adapter_model.safetensors'))).toEqual(
      tensorShapes(join(real, 'adapter_model.safetensors')),
    );
    const theirs = readJson(join(real, 'adapter_config.json'));
    const ours = readJson(join(dir, 'adapter_config.json'));
    // peft_version is informative only (PEFT fills it in when missing); we do not claim one.
    expect(Object.keys(ours).sort()).toEqual(
      Object.keys(theirs)
        .filter((k) => k !== 'peft_version')
        .sort(),
    );
    // Lists compare as sets: PEFT keeps target_modules in a set (arbitrary order in the file)
    // and, for prompt learning, adds the task heads to modules_to_save twice.
    const sorted = (v: unknown): unknown =>
      Array.isArray(v) ? [...new Set(v as string[])].sort() : v;
    for (const k of Object.keys(ours)) {
      if (k === 'base_model_name_or_path') continue; // the generator's relative name
      expect(sorted(ours[k]), k).toEqual(sorted(theirs[k]));
    }
  });
});

describe('PEFT 0.18-0.21 config fields', () => {
  it.each([
    ['use_qalora', true],
    ['arrow_config', { top_k: 2 }],
    ['target_parameters', ['mlp.experts.gate_up_proj']],
    ['ensure_weight_tying', true],
    ['alora_invocation_tokens', [1, 2]],
  ])('LoRA %s at an "on" value is a ConfigError naming it', async (field, value) => {
    const base = await loadBase('gpt2');
    const config = { ...CONFIGS['gpt2-lora'], [field]: value };
    expect(() => getPeftModel(base, config)).toThrow(ConfigError);
    expect(() => getPeftModel(base, config)).toThrow(new RegExp(`field '${field}'`));
  });

  it("prefix tuning's init_weights 'zero' starts every prefix at zero", async () => {
    for (const extra of [{}, { prefix_projection: true, encoder_hidden_size: 16 }]) {
      const base = await loadBase('gpt2');
      const config = { ...CONFIGS['gpt2-prefix'], ...extra, init_weights: 'zero' };
      const peft = getPeftModel(base, config, { rng: new Generator(3) });
      const enc = peft.prompt_encoder!.namedModules().find((e) => e[1] instanceof PrefixEncoder);
      const prefixes = (enc![1] as PrefixEncoder).forward();
      expect(Math.max(...prefixes.data.map(Math.abs))).toBe(0);
    }
    const base = await loadBase('gpt2');
    expect(() => getPeftModel(base, { ...CONFIGS['gpt2-prefix'], init_weights: 'ones' })).toThrow(
      /field 'init_weights'/,
    );
  });

  it('a key no PEFT version has still loads, with a warning naming it', async () => {
    const w = collectWarnings();
    const base = await loadBase('gpt2');
    getPeftModel(base, { ...CONFIGS['gpt2-ia3'], future_option: 1 }, { onWarning: w.onWarning });
    expect(w.list.join('\n')).toMatch(/unknown key\(s\) 'future_option'/);
  });
});
