import type { z } from 'zod';
import { ValueError, type Generator, type Tensor } from '../core/index.js';
import type { Module, Parameter } from '../nn/index.js';
import type { PreTrainedModel, WarningHandler } from '../models/index.js';
import type { BasePeftConfig } from './config.js';

/**
 * The PEFT method registry: each method (lora, ia3, prompt_tuning, prefix_tuning, adapter)
 * registers itself once with registerPeftMethod, and getPeftModel / fromPretrained find it by
 * name or by the `peft_type` of its config. The conformance suite loops over this registry.
 */

/** Encodes text for prompt-tuning init from text (AutoTokenizer instances fit). */
export interface PromptTokenizer {
  encode(text: string): { ids: readonly number[] };
}

export interface TunerContext {
  /** Draws initial adapter weights and dropout masks. */
  rng: Generator;
  onWarning: WarningHandler;
  /**
   * The adapter is about to be loaded from a checkpoint: skip data-dependent init (prompt text)
   * and build the form PEFT stores (a prefix without its reparameterisation MLP).
   */
  fromCheckpoint: boolean;
  tokenizer?: PromptTokenizer;
}

/** Model inputs as PeftModel.forward sees them (the union of the families' input fields). */
export type PeftInputs = Record<string, unknown> & {
  inputIds?: Tensor;
  inputsEmbeds?: Tensor;
  attentionMask?: Tensor;
  labels?: Tensor;
};

/**
 * One method's adapters on one model (PEFT's BaseTuner): injected layers or prompt encoders,
 * keyed by adapter name, with one active adapter at a time (null: run the base model alone).
 */
export interface Tuner<C extends BasePeftConfig = BasePeftConfig> {
  /** Registered as PeftModel.base_model: a wrapper with `model` (LoRA...), or the model itself. */
  readonly baseModel: Module;
  /** Registered as PeftModel.prompt_encoder (prompt learning methods). */
  readonly promptEncoder?: Module;
  addAdapter(name: string, config: C, ctx: TunerContext): void;
  deleteAdapter(name: string): void;
  setActiveAdapter(name: string | null): void;
  /** Run several adapters one after the other (AdapterHub's Stack), for methods that can. */
  setActiveStack?(names: readonly string[]): void;
  /** The parameters that training an adapter updates (modules_to_save aside). */
  adapterParameters(name: string, config: C): Parameter[];
  /**
   * PEFT-format tensors: the in-memory state-dict keys of this adapter among `keys` (other
   * adapters' keys already removed), before PEFT's adapter-name removal. Not used by methods
   * that override savedTensors.
   */
  selectStateKeys?(keys: readonly string[], config: C): string[];
  /** Tensors to save by file key, for methods whose file is not a state-dict slice (prompts). */
  savedTensors?(name: string): Map<string, Tensor>;
  /** Live tensors that loading fills, by file key (pairs with savedTensors). */
  loadTargets?(name: string): Map<string, Tensor>;
  /** Rewrite the inputs before the base model runs (prompt learning). */
  prepareInputs?(inputs: PeftInputs, name: string): PeftInputs;
  merge?(names: readonly string[], safe: boolean): void;
  unmerge?(): void;
  /** Names of the adapters merged into the base weights. */
  mergedAdapters?(): string[];
  /** Replace every injected layer by its base layer, merging these first; returns the model. */
  unload?(mergeNames: readonly string[] | null): PreTrainedModel;
}

/**
 * A directory layout other than PEFT's (AdapterHub's): file names, the config JSON both ways and
 * the mapping between in-memory state-dict keys (under PeftModel) and file keys.
 */
export interface DirectoryFormat<C extends BasePeftConfig = BasePeftConfig> {
  configName: string;
  weightsName: string;
  /** The torch.save weights file read when weightsName is absent. */
  pickleName?: string;
  /** Whether a parsed adapter_config.json is in this format. */
  detect(json: Record<string, unknown>): boolean;
  writeConfig(
    config: C,
    extras: Record<string, unknown>,
    model: PreTrainedModel,
    adapterName: string,
  ): Record<string, unknown>;
  /**
   * The config input to parse and the adapter name the file was saved under; fileKeys are the
   * weights file's tensor names (some configs are corrected by what the file holds).
   */
  readConfig(
    json: Record<string, unknown>,
    fileKeys: readonly string[],
  ): { input: Record<string, unknown>; savedName: string };
  /** The file key of one in-memory key of this adapter, or null when it is not saved. */
  fileKey(key: string, adapterName: string): string | null;
  /** The file key the adapter would have had if it had been saved under savedName. */
  renameFileKey(fileKey: string, fromName: string, toName: string): string;
  /** A file key of an older release in today's names (applied before matching). */
  legacyKey?(fileKey: string): string;
  /** Files of the format that loading leaves alone (a warning names those present). */
  ignoredFiles?: readonly string[];
}

export interface PeftMethod<C extends BasePeftConfig = BasePeftConfig> {
  /** Registry name, lowercase ('lora'). */
  name: string;
  /** adapter_config.json's peft_type ('LORA'). */
  peftType: string;
  /** Field schema (PEFT's names); parsePeftConfig makes it tolerant of unknown keys. */
  configSchema: z.ZodObject;
  /** Keys PEFT writes that have no effect here (accepted without a warning). */
  knownKeys?: readonly string[];
  /** Hugging Face PEFT directories unless another layout is given (AdapterHub's). */
  directory?: DirectoryFormat<C>;
  /** Prompt learning: base_model is the model itself and adapters live in prompt_encoder. */
  promptLearning: boolean;
  /** Whether merge / unmerge / mergeAndUnload are available. */
  mergeable: boolean;
  /** Cross-field checks and model-dependent defaults (target modules, dimensions). */
  prepareConfig(config: C, model: PreTrainedModel): C;
  /** The tuner holding this method's adapters on a model. */
  create(model: PreTrainedModel): Tuner<C>;
}

const METHODS = new Map<string, PeftMethod>();

/** Register a method (one call per method, from its index.ts). */
export function registerPeftMethod<C extends BasePeftConfig>(method: PeftMethod<C>): void {
  if (!/^[a-z][a-z0-9_]*$/.test(method.name)) {
    throw new ValueError(
      `registerPeftMethod: name must be lowercase snake_case, got '${method.name}'`,
    );
  }
  if (METHODS.has(method.name)) {
    throw new ValueError(`registerPeftMethod: '${method.name}' is already registered`);
  }
  for (const m of METHODS.values()) {
    if (m.peftType === method.peftType) {
      throw new ValueError(
        `registerPeftMethod: peft_type '${method.peftType}' is already used by '${m.name}'`,
      );
    }
  }
  METHODS.set(method.name, method as unknown as PeftMethod);
}

export function getPeftMethod(name: string): PeftMethod {
  const m = METHODS.get(name);
  if (!m) {
    throw new ValueError(
      `unknown PEFT method '${name}'; registered: ${[...METHODS.keys()].join(', ')}`,
    );
  }
  return m;
}

/** The method whose configs carry this peft_type. */
export function peftMethodForType(peftType: unknown): PeftMethod {
  for (const m of METHODS.values()) if (m.peftType === peftType) return m;
  throw new ValueError(
    `unknown peft_type ${JSON.stringify(peftType)}; known: ${[...METHODS.values()].map((m) => m.peftType).join(', ')}`,
  );
}

export function listPeftMethods(): PeftMethod[] {
  return [...METHODS.values()];
}
