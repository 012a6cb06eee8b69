import { Generator, ValueError, type Tensor } from '../core/index.js';
import { Module } from '../nn/index.js';
import {
  defaultWarningHandler,
  generate,
  type GenerateOptions,
  type PreTrainedModel,
  type WarningHandler,
} from '../models/index.js';
import type { BasePeftConfig, PeftConfigInput } from './config.js';
import { checkAdapterName, prepareAdapterConfig } from './prepare.js';
import type { PeftInputs, PeftMethod, PromptTokenizer, Tuner, TunerContext } from './registry.js';
import { ModulesToSaveWrapper, wrapModulesToSave } from './utils/modules-to-save.js';
import { sharedTaskHeads } from './utils/task-heads.js';

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

/**
 * What PeftModel is made of: the wrapped model, its tuner and the named adapters with their
 * configs, which adapter (or AdapterHub Stack) runs and trains, disabling, and the forward pass.
 * PeftModel (peft-model.ts) adds files, merging and parameter counts on top.
 */
export class PeftModelBase extends Module {
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
    checkAdapterName(name, [...this.#configs.keys()]);
    const prepared = prepareAdapterConfig(this.method, this.#model, input, this.#onWarning);
    const config = prepared.config;
    const wasMerged = this.tuner.mergedAdapters?.() ?? [];
    if (wasMerged.length > 0) {
      throw new ValueError(
        `PeftModel: unmerge adapters (${wasMerged.join(', ')}) before adding '${name}'`,
      );
    }
    this.tuner.addAdapter(name, config, this.tunerContext(fromCheckpoint));
    this.#configs.set(name, config);
    this.#extras.set(name, { ...prepared.extras, ...(extras ?? {}) });
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

  protected requireAdapter(name: string): BasePeftConfig {
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

  /** The modules_to_save wrappers themselves (unload replaces them in the model). */
  protected get wrappers(): Map<string, ModulesToSaveWrapper> {
    return this.#wrappers;
  }
}
