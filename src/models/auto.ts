import { ConfigError } from '../core/index.js';
import './bert/heads.js';
import './bert/model.js';
import { loadPretrained, type FromPretrainedOptions, type LoadingInfo } from './checkpoint/load.js';
import { readConfigJson } from './checkpoint/files.js';
import type {
  BaseModelInputs,
  BaseModelOutput,
  CausalLMInputs,
  CausalLMOutput,
  MaskedLMInputs,
  MaskedLMOutput,
  QuestionAnsweringInputs,
  QuestionAnsweringOutput,
  SequenceClassificationInputs,
  SequenceClassifierOutput,
  TokenClassificationInputs,
  TokenClassifierOutput,
} from './common/outputs.js';
import type {
  ModelOptions,
  PreTrainedModel,
  PreTrainedModelClass,
  Task,
} from './common/pretrained.js';
import './gpt2/model.js';
import './llama/model.js';
import {
  architectureClass,
  classFor,
  supportedArchitectures,
  supportedModelTypes,
} from './registry.js';

/**
 * Hugging Face's Auto classes: config.json's model_type (or, without one, its architectures)
 * picks the family, the Auto class picks the head. Unknown names are ConfigErrors that list what
 * is supported.
 */

export type BaseModelLike = PreTrainedModel & { forward(inputs: BaseModelInputs): BaseModelOutput };
export type CausalLMModel = PreTrainedModel & { forward(inputs: CausalLMInputs): CausalLMOutput };
export type MaskedLMModel = PreTrainedModel & { forward(inputs: MaskedLMInputs): MaskedLMOutput };
export type SequenceClassificationModel = PreTrainedModel & {
  forward(inputs: SequenceClassificationInputs): SequenceClassifierOutput;
};
export type TokenClassificationModel = PreTrainedModel & {
  forward(inputs: TokenClassificationInputs): TokenClassifierOutput;
};
export type QuestionAnsweringModel = PreTrainedModel & {
  forward(inputs: QuestionAnsweringInputs): QuestionAnsweringOutput;
};

export interface AutoClass<M extends PreTrainedModel> {
  readonly task: Task;
  /** Load a Hugging Face directory (config.json + safetensors) as this task's architecture. */
  fromPretrained(dir: string, options?: FromPretrainedOptions): Promise<M>;
  /** The same, also returning missing/unexpected/ignored keys and the files read. */
  fromPretrainedWithInfo(
    dir: string,
    options?: FromPretrainedOptions,
  ): Promise<{ model: M; info: LoadingInfo }>;
  /** A freshly initialised model from a config object (needs rng, as any new model). */
  fromConfig(config: Record<string, unknown>, options?: ModelOptions): M;
  /** The class for a config, without building it. */
  classFor(config: Record<string, unknown>): PreTrainedModelClass<M>;
}

const AUTO_NAMES: Record<Task, string> = {
  base: 'AutoModel',
  'causal-lm': 'AutoModelForCausalLM',
  'masked-lm': 'AutoModelForMaskedLM',
  'sequence-classification': 'AutoModelForSequenceClassification',
  'token-classification': 'AutoModelForTokenClassification',
  'question-answering': 'AutoModelForQuestionAnswering',
};

/** config.json's model_type, or the family of its first known architecture. */
export function resolveModelType(config: Record<string, unknown>, where = 'config'): string {
  const modelType = config.model_type;
  if (typeof modelType === 'string') {
    if (!supportedModelTypes().includes(modelType)) {
      throw new ConfigError(
        `${where}: model_type '${modelType}' is not supported; supported model types: ${supportedModelTypes().join(', ')}`,
      );
    }
    return modelType;
  }
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  for (const arch of archs) {
    const cls = typeof arch === 'string' ? architectureClass(arch) : undefined;
    if (cls) return cls.spec.modelType;
  }
  throw new ConfigError(
    archs.length > 0
      ? `${where}: architectures ${JSON.stringify(archs)} are not supported and there is no model_type; supported architectures: ${supportedArchitectures().join(', ')}`
      : `${where}: no model_type and no architectures; supported model types: ${supportedModelTypes().join(', ')}`,
  );
}

function makeAuto<M extends PreTrainedModel>(task: Task): AutoClass<M> {
  const name = AUTO_NAMES[task];
  const pick = (config: Record<string, unknown>, where: string): PreTrainedModelClass<M> => {
    const modelType = resolveModelType(config, where);
    const cls = classFor(modelType, task);
    if (!cls) {
      throw new ConfigError(
        `${name}: model_type '${modelType}' has no ${task} architecture; ${name} supports: ${supportedArchitectures(task).join(', ')}`,
      );
    }
    return cls as unknown as PreTrainedModelClass<M>;
  };
  return {
    task,
    async fromPretrained(dir, options) {
      return (await this.fromPretrainedWithInfo(dir, options)).model;
    },
    async fromPretrainedWithInfo(dir, options = {}) {
      const cls = pick(await readConfigJson(dir), `${dir}/config.json`);
      return loadPretrained(cls, dir, options);
    },
    fromConfig(config, options = {}) {
      const cls = pick(config, name);
      return new cls(config, options);
    },
    classFor(config) {
      return pick(config, name);
    },
  };
}

export const AutoModel: AutoClass<BaseModelLike> = makeAuto('base');
export const AutoModelForCausalLM: AutoClass<CausalLMModel> = makeAuto('causal-lm');
export const AutoModelForMaskedLM: AutoClass<MaskedLMModel> = makeAuto('masked-lm');
export const AutoModelForSequenceClassification: AutoClass<SequenceClassificationModel> =
  makeAuto('sequence-classification');
export const AutoModelForTokenClassification: AutoClass<TokenClassificationModel> =
  makeAuto('token-classification');
export const AutoModelForQuestionAnswering: AutoClass<QuestionAnsweringModel> =
  makeAuto('question-answering');

/**
 * Load whatever config.json's architectures[0] names (what a pipeline does): a
 * BertForQuestionAnswering directory gives a BertForQuestionAnswering.
 */
export async function loadModelFromArchitecture(
  dir: string,
  options: FromPretrainedOptions = {},
): Promise<{ model: PreTrainedModel; info: LoadingInfo }> {
  const config = await readConfigJson(dir);
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  const first = archs[0];
  const cls = typeof first === 'string' ? architectureClass(first) : undefined;
  if (!cls) {
    throw new ConfigError(
      `${dir}/config.json: architectures ${JSON.stringify(archs)} name no supported class; supported architectures: ${supportedArchitectures().join(', ')}`,
    );
  }
  return loadPretrained(cls, dir, options);
}
