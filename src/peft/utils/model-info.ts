import { ValueError } from '../../core/index.js';
import { Embedding, type Module } from '../../nn/index.js';
import type { PreTrainedModel } from '../../models/index.js';

/**
 * What the methods need to know of a model, read from its Hugging Face config as PEFT's
 * _prepare_prompt_learning_config does (num_hidden_layers / n_layer, hidden_size / n_embd, ...).
 */
export interface ModelDims {
  modelType: string;
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  /** Key/value heads (grouped-query attention); numHeads when the model has no such field. */
  numKvHeads: number;
  vocabSize: number;
}

function firstNumber(config: Record<string, unknown>, keys: string[]): number | undefined {
  for (const k of keys) {
    const v = config[k];
    if (typeof v === 'number') return v;
  }
  return undefined;
}

export function modelDims(model: PreTrainedModel): ModelDims {
  const c = model.config as unknown as Record<string, unknown>;
  const need = (what: string, keys: string[]): number => {
    const v = firstNumber(c, keys);
    if (v === undefined) {
      throw new ValueError(`PEFT: the model config has none of ${keys.join(', ')} (${what})`);
    }
    return v;
  };
  const numHeads = need('attention heads', ['num_attention_heads', 'n_head', 'num_heads']);
  return {
    modelType: String(c.model_type ?? model.spec.modelType),
    numLayers: need('layers', ['num_hidden_layers', 'num_layers', 'n_layer']),
    hiddenSize: need('hidden size', ['hidden_size', 'n_embd', 'd_model']),
    numHeads,
    numKvHeads: firstNumber(c, ['num_key_value_heads']) ?? numHeads,
    vocabSize: need('vocabulary size', ['vocab_size']),
  };
}

/** The token embedding (Hugging Face's get_input_embeddings) of the GPT-2, BERT, Llama families. */
export function inputEmbeddings(model: Module): Embedding {
  for (const [name, m] of model.namedModules()) {
    if (m instanceof Embedding && /(^|\.)(wte|word_embeddings|embed_tokens)$/.test(name)) return m;
  }
  throw new ValueError(
    `PEFT: cannot find the input embeddings of ${model.constructor.name} (wte, word_embeddings or embed_tokens)`,
  );
}
