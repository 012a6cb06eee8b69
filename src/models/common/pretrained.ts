import { Generator, ValueError } from '../../core/index.js';
import { Module } from '../../nn/index.js';
import { loadPretrained, type FromPretrainedOptions } from '../checkpoint/load.js';
import { savePretrained, type SavePretrainedOptions } from '../checkpoint/save.js';
import type { WarningHandler } from './config.js';
import { hfInit } from './init.js';

/** What a model is used for; the Auto classes pick an architecture by model_type and task. */
export type Task =
  | 'base'
  | 'causal-lm'
  | 'masked-lm'
  | 'sequence-classification'
  | 'token-classification'
  | 'question-answering';

/** Static facts about one architecture (one class), as Hugging Face's class attributes. */
export interface ArchitectureSpec {
  /** The Hugging Face class name, written to config.json's `architectures`. */
  architecture: string;
  /** config.json's model_type ('gpt2', 'bert', 'llama'). */
  modelType: string;
  task: Task;
  /** The base model's field name in head models ('transformer', 'bert', 'model'). */
  baseModelPrefix: string;
}

export interface ModelOptions {
  /**
   * Draws the initial weights (Hugging Face's init scheme: N(0, initializer_range), norms 1/0)
   * and, later, dropout masks. Required unless skipInit.
   */
  rng?: Generator;
  /** Leave the weights at zero because they are loaded next (fromPretrained does this). */
  skipInit?: boolean;
  /** Where config warnings (unknown keys) go; default process.emitWarning. */
  onWarning?: WarningHandler;
}

/** The config fields every family has (the rest is family-specific). */
export interface BaseConfig {
  model_type: string;
  initializer_range: number;
  tie_word_embeddings: boolean;
  num_labels: number;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
  architectures: string[] | null;
  pad_token_id: number | null;
  bos_token_id: number | number[] | null;
  eos_token_id: number | number[] | null;
}

/** A model class as the registry and loaders see it. */
export interface PreTrainedModelClass<M extends PreTrainedModel = PreTrainedModel> {
  new (config?: Record<string, unknown>, options?: ModelOptions): M;
  readonly spec: ArchitectureSpec;
}

/**
 * The base of every model family's classes (Hugging Face's PreTrainedModel): the parsed config,
 * weight init, tied weights, and Hugging Face directory loading and saving.
 */
export abstract class PreTrainedModel extends Module {
  static readonly spec: ArchitectureSpec;
  abstract readonly config: BaseConfig;
  /** config.json keys outside the family schema, written back by savePretrained. */
  configExtras: Record<string, unknown> = Object.create(null);

  get spec(): ArchitectureSpec {
    return (this.constructor as unknown as PreTrainedModelClass).spec;
  }

  /**
   * Pairs [alias, source] of state-dict names that are one tensor (tied embeddings). Aliases are
   * not saved, and a checkpoint without them loads without a missing-key report.
   */
  tiedWeightKeys(): [alias: string, source: string][] {
    return [];
  }

  /** Checkpoint keys to drop silently (buffers Hugging Face once saved, unused heads). */
  ignoredCheckpointKeys(): RegExp[] {
    return [];
  }

  /** Per-parameter init std overrides (see hfInit). */
  protected initStdFor(_name: string): number | undefined {
    return undefined;
  }

  /** (Re)initialise parameters as Hugging Face does; `only` restricts to some names. */
  initWeights(rng: Generator, only?: ReadonlySet<string>): void {
    hfInit(this, rng, {
      std: this.config.initializer_range,
      stdFor: (n) => this.initStdFor(n),
      only,
    });
  }

  /** Call at the end of a subclass constructor: random init unless skipInit. */
  protected initialize(options: ModelOptions): void {
    if (options.skipInit) return;
    if (!options.rng) {
      throw new ValueError(
        `${this.spec.architecture}: pass rng (a seeded Generator) to initialise the weights, or skipInit: true when they are loaded from a checkpoint next`,
      );
    }
    this.initWeights(options.rng);
  }

  /** config.json's content: the config, the kept extra keys, architectures and model_type. */
  configDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { ...this.configExtras };
    const labels = defaultLabels(this.config.num_labels);
    for (const [k, v] of Object.entries(this.config)) {
      if (k === 'num_labels') continue; // Hugging Face derives it from id2label
      if ((k === 'id2label' || k === 'label2id') && labels && sameLabels(this.config, labels)) {
        continue;
      }
      out[k] = v;
    }
    out.architectures = [this.spec.architecture];
    out.model_type = this.spec.modelType;
    return out;
  }

  /** Write config.json and model.safetensors (or shards + index) atomically, as HF does. */
  savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<void> {
    return savePretrained(this, dir, options);
  }

  /** Load a Hugging Face directory (config.json + safetensors weights) into this class. */
  static async fromPretrained<M extends PreTrainedModel>(
    this: PreTrainedModelClass<M>,
    dir: string,
    options: FromPretrainedOptions = {},
  ): Promise<M> {
    return (await loadPretrained(this, dir, options)).model;
  }
}

/** The dropout generator for a model: the init rng, or a fixed seed when weights are loaded. */
export function dropoutRng(options: ModelOptions): Generator {
  return options.rng ?? new Generator(0);
}

function defaultLabels(n: number): Record<string, string> | null {
  return n === 2 ? { '0': 'LABEL_0', '1': 'LABEL_1' } : null;
}

function sameLabels(config: BaseConfig, labels: Record<string, string>): boolean {
  return (
    Object.keys(config.id2label).length === 2 &&
    config.id2label['0'] === labels['0'] &&
    config.id2label['1'] === labels['1'] &&
    config.label2id.LABEL_0 === 0 &&
    config.label2id.LABEL_1 === 1
  );
}
