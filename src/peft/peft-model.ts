import { Generator, ValueError, type Tensor } from '../core/index.js';
import { Module, type Parameter } from '../nn/index.js';
import {
  defaultWarningHandler,
  generate,
  type GenerateOptions,
  type PreTrainedModel,
  type WarningHandler,
} from '../models/index.js';
import { parsePeftConfig, type BasePeftConfig, type PeftConfigInput } from './config.js';
import {
  peftMethodForType,
  type PeftInputs,
  type PeftMethod,
  type PromptTokenizer,
  type Tuner,
  type TunerContext,
} from './registry.js';
import {
  loadAdapterWeights,
  readAdapterDirectory,
  saveAdapters,
  type SaveAdaptersOptions,
} from './save-load.js';
import { ModulesToSaveWrapper, wrapModulesToSave } from './utils/modules-to-save.js';
import { sharedTaskHeads, withTaskHeads } from './utils/task-heads.js';

/**
 * Hugging Face PEFT's PeftModel, with its method names in camelCase: a model with one or more
 * named adapters of one method, the base model frozen, one adapter active at a time.
 *
 * Module layout is PEFT's, so state-dict names match PEFT's in-memory names: injected methods put
 * the model under `base_model.model` (`base_model.model.transformer.h.0.attn.c_attn.lora_A.default.weight`);
 * prompt learning keeps the model at `base_model` and the prompts in `prompt_encoder.<adapter>`.
 */

export interface PeftModelOptions {
  /** Name of the first adapter (PEFT's adapter_name); default 'default'. */
  adapterName?: string;
  /** Draws adapter weights and adapter dropout masks; default new Generator(0). */
  rng?: Generator;
  /** For prompt_tuning_init 'TEXT'. */
  tokenizer?: PromptTokenizer;
  /** Where warnings go (unknown config keys, corrected fields); default process warnings. */
  onWarning?: WarningHandler;
}

export interface TrainableParameterReport {
  trainable: number;
  all: number;
  /** 100 * trainable / all */
  percent: number;
  /** PEFT's line: "trainable params: X || all params: Y || trainable%: Z". */
  text: string;
}

export class PeftModel extends Module {
  base_model: Module;
  prompt_encoder: Module | null = null;
  readonly method: PeftMethod;
  readonly tuner: Tuner;
  readonly #model: PreTrainedModel;
  readonly #configs = new Map<string, BasePeftConfig>();
  readonly #extras = new Map<string, Record<string, unknown>>();
  readonly #wrappers = new Map<string, ModulesToSaveWrapper>();
  #active: string;
  /** AdapterHub's Stack when set (setAdapterStack); #active is then the adapter that trains. */
  #stack: readonly string[] | null = null;
  #disabled = 0;
  readonly #rng: Generator;
  readonly #onWarning: WarningHandler;
  readonly #tokenizer: PromptTokenizer | undefined;

  /** Use getPeftModel or PeftModel.fromPretrained. */
  constructor(model: PreTrainedModel, method: PeftMethod, options: PeftModelOptions = {}) {
    super();
    this.method = method;
    this.#model = model;
    this.tuner = method.create(model);
    this.base_model = this.tuner.baseModel;
    if (this.tuner.promptEncoder) this.prompt_encoder = this.tuner.promptEncoder;
    this.#active = options.adapterName ?? 'default';
    this.#rng = options.rng ?? new Generator(0);
    this.#onWarning = options.onWarning ?? defaultWarningHandler;
    this.#tokenizer = options.tokenizer;
    this.training = model.training;
  }

  // ------------------------------------------------------------------ adapters

  /** The wrapped model (PEFT's get_base_model). */
  getBaseModel(): PreTrainedModel {
    return this.#model;
  }

  /** The base model's config (what generate reads). */
  get config(): PreTrainedModel['config'] {
    return this.#model.config;
  }

  get activeAdapter(): string {
    return this.#active;
  }

  /** Adapter name -> config (PEFT's peft_config). */
  get peftConfig(): Record<string, BasePeftConfig> {
    return Object.fromEntries(this.#configs);
  }

  /** Keys of an adapter's config that PEFT wrote but this version does not know. */
  configExtras(name: string): Record<string, unknown> {
    return { ...(this.#extras.get(name) ?? {}) };
  }

  /** Add an adapter (not activated, as in PEFT; call setAdapter). */
  addAdapter(
    name: string,
    config: PeftConfigInput | BasePeftConfig,
    options?: { fromCheckpoint?: boolean },
  ): void {
    this.injectAdapter(name, config, null, options?.fromCheckpoint ?? false);
  }

  /** @internal Parse, inject and register one adapter. */
  injectAdapter(
    name: string,
    input: PeftConfigInput | BasePeftConfig,
    extras: Record<string, unknown> | null,
    fromCheckpoint: boolean,
  ): BasePeftConfig {
    if (this.#configs.has(name))
      throw new ValueError(`PeftModel: adapter '${name}' already exists`);
    if (typeof name !== 'string' || !/^[^.\s]+$/.test(name)) {
      throw new ValueError(
        `PeftModel: adapter name must be non-empty without '.' or spaces, got '${name}'`,
      );
    }
    const method = peftMethodForType(input.peft_type);
    if (method !== this.method) {
      throw new ValueError(
        `PeftModel: cannot combine adapters of different types ('${this.method.name}' and '${method.name}') on one model`,
      );
    }
    const parsed = parsePeftConfig(method.name, method.peftType, method.configSchema, input, {
      onWarning: this.#onWarning,
      knownKeys: method.knownKeys,
    });
    const config = method.prepareConfig(parsed.config as unknown as BasePeftConfig, this.#model);
    withTaskHeads(config);
    if (config.base_model_name_or_path === null) {
      const n = this.#model.configExtras._name_or_path;
      if (typeof n === 'string' && n !== '') config.base_model_name_or_path = n;
    }
    const wasMerged = this.tuner.mergedAdapters?.() ?? [];
    if (wasMerged.length > 0) {
      throw new ValueError(
        `PeftModel: unmerge adapters (${wasMerged.join(', ')}) before adding '${name}'`,
      );
    }
    const ctx: TunerContext = {
      rng: this.#rng,
      onWarning: this.#onWarning,
      fromCheckpoint,
      tokenizer: this.#tokenizer,
    };
    this.tuner.addAdapter(name, config, ctx);
    this.#configs.set(name, config);
    this.#extras.set(name, { ...parsed.extras, ...(extras ?? {}) });
    this.addModulesToSave(name, config);
    this.activate();
    return config;
  }

  private addModulesToSave(name: string, config: BasePeftConfig): void {
    const names = (config as { modules_to_save?: string[] | null }).modules_to_save ?? [];
    for (const [key, w] of wrapModulesToSave(this.#model, name, names)) this.#wrappers.set(key, w);
  }

  /** Make an adapter the one forward uses (and the one training updates). */
  setAdapter(name: string): void {
    this.requireAdapter(name);
    if ((this.tuner.mergedAdapters?.() ?? []).length > 0) {
      this.#onWarning('PeftModel.setAdapter: adapters are merged; unmerging them first');
      this.tuner.unmerge!();
    }
    this.#active = name;
    this.#stack = null;
    this.activate();
  }

  /**
   * AdapterHub's Stack composition (MAD-X): forward runs the named adapters one after the other
   * at every site, e.g. ['lang', 'task']; only `train` (default: the last) is trainable and it
   * becomes the active adapter. setAdapter ends the stack. Bottleneck adapters only.
   */
  setAdapterStack(names: readonly string[], train = names[names.length - 1]): void {
    if (!this.tuner.setActiveStack) {
      throw new ValueError(
        `PeftModel.setAdapterStack: ${this.method.name} adapters cannot be stacked (bottleneck adapters can)`,
      );
    }
    if (names.length === 0 || new Set(names).size !== names.length) {
      throw new ValueError(
        `PeftModel.setAdapterStack: need distinct adapter names, got [${names.join(', ')}]`,
      );
    }
    for (const n of names) this.requireAdapter(n);
    if (!names.includes(train)) {
      throw new ValueError(
        `PeftModel.setAdapterStack: train '${train}' is not in the stack [${names.join(', ')}]`,
      );
    }
    this.#stack = [...names];
    this.#active = train;
    this.activate();
  }

  /** The stacked adapters in order, or null when a single adapter is active. */
  get activeStack(): string[] | null {
    return this.#stack ? [...this.#stack] : null;
  }

  /** Remove an adapter; deleting the active one activates the first remaining adapter. */
  deleteAdapter(name: string): void {
    this.requireAdapter(name);
    if (this.#configs.size === 1) {
      throw new ValueError(
        `PeftModel.deleteAdapter: '${name}' is the only adapter; use unload() to get the base model back`,
      );
    }
    this.tuner.deleteAdapter(name);
    for (const w of this.#wrappers.values()) w.deleteAdapter(name);
    this.#configs.delete(name);
    this.#extras.delete(name);
    if (this.#active === name) this.#active = [...this.#configs.keys()][0];
    if (this.#stack?.includes(name)) this.#stack = null;
    this.activate();
  }

  /**
   * Run fn with every adapter off: the model computes exactly what the base model computes
   * (merged adapters are unmerged for the scope and merged back after). fn may be async.
   */
  disableAdapter<T>(fn: () => T): T {
    const merged = this.tuner.mergedAdapters?.() ?? [];
    if (merged.length > 0) this.tuner.unmerge!();
    this.#disabled += 1;
    this.setLayersActive(null);
    const restore = (): void => {
      this.#disabled -= 1;
      if (this.#disabled === 0) {
        this.setLayersActive(this.#active);
        if (merged.length > 0) this.tuner.merge!(merged, false);
      }
    };
    let result: T;
    try {
      result = fn();
    } catch (err) {
      restore();
      throw err;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  }

  /** Whether a disableAdapter scope is running. */
  get adaptersDisabled(): boolean {
    return this.#disabled > 0;
  }

  private requireAdapter(name: string): BasePeftConfig {
    const c = this.#configs.get(name);
    if (!c) {
      throw new ValueError(
        `PeftModel: no adapter '${name}'; adapters: ${[...this.#configs.keys()].join(', ')}`,
      );
    }
    return c;
  }

  private setLayersActive(name: string | null): void {
    if (name !== null && this.#stack) this.tuner.setActiveStack!(this.#stack);
    else this.tuner.setActiveAdapter(name);
    for (const w of this.#wrappers.values()) w.setActiveAdapter(name);
  }

  /** Route forward through the active adapter and let only its parameters train. */
  private activate(): void {
    if (this.#disabled === 0) this.setLayersActive(this.#active);
    this.freeze();
    const config = this.#configs.get(this.#active);
    if (!config || config.inference_mode) return;
    for (const p of this.tuner.adapterParameters(this.#active, config)) p.requiresGrad_(true);
    for (const head of sharedTaskHeads(this.#model, config)) head.unfreeze();
    for (const w of this.#wrappers.values()) {
      if (w.hasAdapter(this.#active)) w.modules_to_save.get(this.#active).unfreeze();
    }
  }

  /** The wrappers of modules_to_save, by path relative to the base model. */
  modulesToSave(): Map<string, ModulesToSaveWrapper> {
    return new Map(this.#wrappers);
  }

  // ------------------------------------------------------------------ files

  /**
   * Write every adapter (or the selected ones): PEFT's adapter_config.json +
   * adapter_model.safetensors ('default' in dir, others in dir/<name>), or AdapterHub's layout
   * for bottleneck adapters. Files are written atomically.
   */
  savePretrained(dir: string, options: SaveAdaptersOptions = {}): Promise<void> {
    return saveAdapters(this, dir, options);
  }

  /** PEFT's load_adapter: add an adapter from a directory (frozen unless isTrainable). */
  async loadAdapter(
    dir: string,
    adapterName: string,
    options: { isTrainable?: boolean } = {},
  ): Promise<void> {
    const d = await readAdapterDirectory(dir);
    if (d.method !== this.method) {
      throw new ValueError(
        `PeftModel.loadAdapter: ${dir} holds a ${d.method.name} adapter, this model has ${this.method.name} adapters`,
      );
    }
    this.injectAdapter(
      adapterName,
      { ...d.input, inference_mode: !options.isTrainable },
      null,
      true,
    );
    try {
      await loadAdapterWeights(this, adapterName, d);
    } catch (err) {
      if (this.#configs.size > 1) this.deleteAdapter(adapterName);
      throw err;
    }
  }

  /**
   * PEFT's PeftModel.from_pretrained: wrap a model and load an adapter directory into it, frozen
   * for inference unless isTrainable.
   */
  static async fromPretrained(
    model: PreTrainedModel,
    dir: string,
    options: PeftModelOptions & { isTrainable?: boolean } = {},
  ): Promise<PeftModel> {
    const d = await readAdapterDirectory(dir);
    const peft = new PeftModel(model, d.method, options);
    const name = options.adapterName ?? 'default';
    peft.injectAdapter(name, { ...d.input, inference_mode: !options.isTrainable }, null, true);
    await loadAdapterWeights(peft, name, d);
    return peft;
  }

  // ------------------------------------------------------------------ running

  /** The base model's forward, with the active adapter (prompt methods rewrite the inputs). */
  forward(inputs: PeftInputs): { logits: Tensor; loss?: Tensor; [k: string]: unknown } {
    let x = inputs;
    if (this.#disabled === 0 && this.tuner.prepareInputs)
      x = this.tuner.prepareInputs(x, this.#active);
    return (this.#model as unknown as { forward(i: PeftInputs): { logits: Tensor } }).forward(x);
  }

  /** Hugging Face's generate through the adapters (causal LM models). */
  generate(
    inputIds: Tensor | readonly number[] | readonly (readonly number[])[],
    options: GenerateOptions,
  ): Tensor {
    if (this.#model.spec.task !== 'causal-lm') {
      throw new ValueError(
        `PeftModel.generate: ${this.#model.spec.architecture} is not a causal language model`,
      );
    }
    return generate(this as never, inputIds, options);
  }

  // ------------------------------------------------------------------ parameters

  /** PEFT's get_nb_trainable_parameters and its print_trainable_parameters line. */
  trainableParameterReport(): TrainableParameterReport {
    let trainable = 0;
    let all = 0;
    for (const p of this.parameters()) {
      all += p.size;
      if (p.requiresGrad) trainable += p.size;
    }
    const percent = all === 0 ? 0 : (100 * trainable) / all;
    const fmt = (n: number): string => n.toLocaleString('en-US');
    return {
      trainable,
      all,
      percent,
      text: `trainable params: ${fmt(trainable)} || all params: ${fmt(all)} || trainable%: ${percent.toFixed(4)}`,
    };
  }

  printTrainableParameters(): void {
    console.log(this.trainableParameterReport().text);
  }

  /** The parameters that train (requiresGrad), for an optimizer. */
  trainableParameters(): Parameter[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  // ------------------------------------------------------------------ merging

  private mergeable(op: string): Required<Pick<Tuner, 'merge' | 'unmerge' | 'unload'>> {
    const t = this.tuner;
    if (!this.method.mergeable || !t.merge || !t.unmerge || !t.unload) {
      throw new ValueError(`PeftModel.${op}: ${this.method.name} adapters cannot be merged`);
    }
    return t as Required<Pick<Tuner, 'merge' | 'unmerge' | 'unload'>>;
  }

  /** Fold adapters (default: the active one) into the base weights. */
  merge(options: { adapterNames?: readonly string[]; safeMerge?: boolean } = {}): void {
    const t = this.mergeable('merge');
    const names = options.adapterNames ?? [this.#active];
    for (const n of names) this.requireAdapter(n);
    t.merge(names, options.safeMerge ?? false);
  }

  /** Restore the base weights exactly (the pre-merge values are kept while merged). */
  unmerge(): void {
    this.mergeable('unmerge').unmerge();
  }

  mergedAdapters(): string[] {
    return this.tuner.mergedAdapters?.() ?? [];
  }

  /**
   * Merge the adapters (default: the active one) and return the base model with plain layers
   * again (modules_to_save replaced by the active adapter's trained copies). This PeftModel must
   * not be used afterwards.
   */
  mergeAndUnload(
    options: { adapterNames?: readonly string[]; safeMerge?: boolean } = {},
  ): PreTrainedModel {
    const t = this.mergeable('mergeAndUnload');
    const names = options.adapterNames ?? [this.#active];
    if (options.safeMerge) t.merge(names, true);
    return this.finishUnload(t.unload(names));
  }

  /** The base model without adapter layers and without merging. */
  unload(): PreTrainedModel {
    const t = this.mergeable('unload');
    t.unmerge();
    return this.finishUnload(t.unload(null));
  }

  private finishUnload(model: PreTrainedModel): PreTrainedModel {
    for (const [key, w] of this.#wrappers) {
      model.setSubmodule(
        key,
        w.hasAdapter(this.#active) ? w.modules_to_save.get(this.#active) : w.original_module,
      );
    }
    this.#wrappers.clear();
    model.unfreeze();
    return model;
  }

  /**
   * PEFT's add_weighted_adapter (LoRA): a new adapter combining others, 'linear' (same r) or
   * 'cat' (ranks summed); see LoraModel.addWeightedAdapter.
   */
  addWeightedAdapter(
    adapters: readonly string[],
    weights: readonly number[],
    name: string,
    combinationType: 'linear' | 'cat',
  ): void {
    const t = this.tuner as Partial<{
      addWeightedAdapter(
        p: PeftModel,
        a: readonly string[],
        w: readonly number[],
        n: string,
        c: string,
      ): void;
    }>;
    if (!t.addWeightedAdapter) {
      throw new ValueError(
        `addWeightedAdapter: only for LoRA adapters, this model has ${this.method.name} adapters`,
      );
    }
    t.addWeightedAdapter(this, adapters, weights, name, combinationType);
  }

  /** @internal */
  tunerContext(fromCheckpoint: boolean): TunerContext {
    return {
      rng: this.#rng,
      onWarning: this.#onWarning,
      fromCheckpoint,
      tokenizer: this.#tokenizer,
    };
  }

  /** @internal */
  get onWarning(): WarningHandler {
    return this.#onWarning;
  }
}

/**
 * Freeze the model and add the first adapter (PEFT's get_peft_model). The config names its
 * method by peft_type ('LORA', 'IA3', 'PROMPT_TUNING', 'PREFIX_TUNING', 'BOTTLENECK').
 */
export function getPeftModel(
  model: PreTrainedModel,
  config: PeftConfigInput | BasePeftConfig,
  options: PeftModelOptions = {},
): PeftModel {
  if (model instanceof PeftModel)
    throw new ValueError('getPeftModel: the model is already a PeftModel');
  const method = peftMethodForType(config.peft_type);
  const peft = new PeftModel(model, method, options);
  peft.injectAdapter(options.adapterName ?? 'default', config, null, false);
  return peft;
}
