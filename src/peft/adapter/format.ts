import { ConfigError } from '../../core/index.js';
import type { DirectoryFormat } from '../registry.js';
import { modelDims } from '../utils/model-info.js';
import { BN_FIELDS, BN_PRESETS, type BottleneckConfig } from './config.js';

const IN_MEMORY_PREFIX = 'base_model.model.';

/** BnConfig's fields without a default: AdapterHub cannot build a config that lacks one. */
const REQUIRED = ['mh_adapter', 'output_adapter', 'reduction_factor', 'non_linearity'];

/** Module names of adapter-transformers 1.x files, renamed on load (AdapterLoader's legacy map). */
const LEGACY_NAMES: [string, string][] = [
  ['attention_text_task_adapters', 'adapters'],
  ['attention_text_lang_adapters', 'adapters'],
  ['layer_text_task_adapters', 'adapters'],
  ['layer_text_lang_adapters', 'adapters'],
  ['invertible_lang_adapters', 'invertible_adapters'],
];

/** Activations of files without a "version" (older releases called gelu_new 'gelu'). */
const ACTIVATION_RENAME: Record<string, string> = { gelu: 'gelu_new', gelu_orig: 'gelu' };

function renameLegacy(key: string): string {
  let k = key;
  for (const [old, now] of LEGACY_NAMES) k = k.replace(old, now);
  return k;
}

const fail = (msg: string): never => {
  throw new ConfigError(`AdapterHub adapter_config.json: ${msg}`);
};

/** The "config" object of a file, resolved to BnConfig fields as AdapterHub's loader does. */
function bnFields(json: Record<string, unknown>): Record<string, unknown> {
  const raw = json.config;
  if (typeof raw === 'string') {
    const preset = BN_PRESETS[raw];
    if (!preset)
      fail(`unknown config preset '${raw}' (known: ${Object.keys(BN_PRESETS).join(', ')})`);
    return { ...preset() };
  }
  const bn = { ...(raw as Record<string, unknown>) };
  const arch = bn.architecture;
  if (arch !== undefined && arch !== null && arch !== 'bottleneck') {
    fail(`config.architecture is ${JSON.stringify(arch)}; only bottleneck adapters are read`);
  }
  delete bn.architecture;
  // adapter-transformers 1.x nested the invertible adapter: {block_type, reduction_factor}.
  const legacyInv = bn.invertible_adapter;
  delete bn.invertible_adapter;
  if (legacyInv !== undefined && legacyInv !== null) {
    if (typeof legacyInv !== 'object')
      fail(`config.invertible_adapter must be an object, got ${JSON.stringify(legacyInv)}`);
    const l = legacyInv as Record<string, unknown>;
    bn.inv_adapter = l.block_type;
    bn.inv_adapter_reduction_factor = l.reduction_factor;
  }
  const missing = REQUIRED.filter((k) => !(k in bn));
  if (missing.length > 0) fail(`config lacks BnConfig's required field(s) ${missing.join(', ')}`);
  // A full config object is a plain BnConfig, whose default differs from SeqBnConfig's here.
  if (!('original_ln_before' in bn)) bn.original_ln_before = false;
  return bn;
}

/**
 * AdapterHub's directory: adapter_config.json {config: BnConfig fields, hidden_size, model_class,
 * model_name, model_type, name, version} and adapter.safetensors (its `use_safetensors=True`
 * name) holding the model's state-dict entries of the adapter, name included
 * (`bert.encoder.layer.0.output.adapters.<name>.adapter_down.0.weight`). Reading follows its
 * AdapterLoader: preset names, the activation rename of unversioned files, 1.x module names and
 * nested invertible-adapter config, and task adapters (type 'text_task') of the old format whose
 * config names an invertible adapter the file does not hold lose it.
 */
export const adapterHubFormat: DirectoryFormat<BottleneckConfig> = {
  configName: 'adapter_config.json',
  weightsName: 'adapter.safetensors',
  // AdapterHub's default (torch.save) when saved without use_safetensors.
  pickleName: 'pytorch_adapter.bin',
  // Saved beside the adapter by AdapterHub's heads; heads are not part of the adapter here.
  ignoredFiles: ['head_config.json', 'model_head.safetensors', 'pytorch_model_head.bin'],
  detect: (json) =>
    !('peft_type' in json) &&
    typeof json.name === 'string' &&
    (typeof json.config === 'string' || (typeof json.config === 'object' && json.config !== null)),
  writeConfig(config, extras, model, adapterName) {
    const bn: Record<string, unknown> = {};
    for (const k of BN_FIELDS) bn[k] = (config as unknown as Record<string, unknown>)[k];
    for (const [k, v] of Object.entries(extras)) bn[k] = v;
    return {
      config: bn,
      hidden_size: modelDims(model).hiddenSize,
      model_class: model.spec.architecture,
      model_name: config.base_model_name_or_path,
      model_type: model.spec.modelType,
      name: adapterName,
      version: 'osmosis',
    };
  },
  readConfig(json, fileKeys) {
    const input = bnFields(json);
    const nl = input.non_linearity;
    if (json.version === undefined && typeof nl === 'string' && ACTIVATION_RENAME[nl])
      input.non_linearity = ACTIVATION_RENAME[nl];
    if (typeof input.non_linearity === 'string')
      input.non_linearity = input.non_linearity.toLowerCase();
    const keys = fileKeys.map(renameLegacy);
    if (
      json.type === 'text_task' &&
      input.inv_adapter &&
      !keys.some((k) => k.includes('invertible_adapters.'))
    ) {
      input.inv_adapter = null;
      input.inv_adapter_reduction_factor = null;
    }
    input.peft_type = 'BOTTLENECK';
    if (typeof json.model_name === 'string') input.base_model_name_or_path = json.model_name;
    return { input, savedName: json.name as string };
  },
  fileKey(key, adapterName) {
    if (!key.startsWith(IN_MEMORY_PREFIX) || !key.includes(`adapters.${adapterName}.`)) return null;
    return key.slice(IN_MEMORY_PREFIX.length);
  },
  renameFileKey: (key, from, to) => key.replace(`adapters.${from}.`, `adapters.${to}.`),
  legacyKey: renameLegacy,
};
