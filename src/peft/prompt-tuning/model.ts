import { concat, expand, unsqueeze, ValueError, type Tensor } from '../../core/index.js';
import type { Module } from '../../nn/index.js';
import type { PeftInputs, TunerContext } from '../registry.js';
import { inputEmbeddings } from '../utils/model-info.js';
import { prependIds, PromptLearningTuner } from '../utils/prompt-learning.js';
import type { PromptTuningConfig } from './config.js';
import { PromptEmbedding, textInitIds } from './layer.js';

/**
 * Prompt tuning on a model, as PEFT's PeftModelFor* forward: the prompt vectors go in front of
 * the token embeddings, the attention mask gets ones for them, token-level labels get -100 and
 * token type ids 0. Outputs cover the virtual tokens too (logits [B, N + T, ...]), as in PEFT.
 */
export class PromptTuningTuner extends PromptLearningTuner<PromptTuningConfig> {
  protected makeEncoder(name: string, config: PromptTuningConfig, ctx: TunerContext): Module {
    const words = inputEmbeddings(this.model);
    const dtype = words.weight.dtype === 'float64' ? 'float64' : 'float32';
    const n = config.num_virtual_tokens;
    const init = ctx.fromCheckpoint ? 'LOADED' : config.prompt_tuning_init;
    const enc = new PromptEmbedding(
      n,
      config.token_dim!,
      init === 'RANDOM' ? ctx.rng : null,
      dtype,
    );
    if (init === 'TEXT') {
      if (!ctx.tokenizer) {
        throw new ValueError(
          `prompt tuning '${name}': prompt_tuning_init 'TEXT' needs a tokenizer (options.tokenizer)`,
        );
      }
      enc.initFromIds(words, textInitIds(ctx.tokenizer, config.prompt_tuning_init_text!, n));
    } else if (init === 'SAMPLE_VOCAB') {
      const ids = Array.from({ length: n }, () => ctx.rng.int(words.numEmbeddings));
      enc.initFromIds(words, ids);
    }
    return enc;
  }

  protected withPrompts(
    inputs: PeftInputs,
    name: string,
    config: PromptTuningConfig,
    batch: number,
  ): PeftInputs {
    const n = config.num_virtual_tokens;
    const words = inputs.inputsEmbeds ?? inputEmbeddings(this.model).forward(inputs.inputIds!);
    const prompt = (this.promptEncoder.get(name) as PromptEmbedding).forward();
    const prompts = expand(unsqueeze(prompt, 0), [batch, n, prompt.shape[1]]);
    const out: PeftInputs = {
      ...inputs,
      inputsEmbeds: concat([prompts.to(words.dtype), words], 1),
    };
    delete out.inputIds;
    const T = words.shape[1];
    const labels = inputs.labels;
    if (labels && labels.rank === 2 && labels.shape[0] === batch && labels.shape[1] === T) {
      out.labels = prependIds(labels, n, -100);
    }
    const types = inputs.tokenTypeIds as Tensor | undefined;
    if (types) out.tokenTypeIds = prependIds(types, n, 0);
    return out;
  }

  savedTensors(name: string): Map<string, Tensor> {
    return new Map([
      ['prompt_embeddings', (this.promptEncoder.get(name) as PromptEmbedding).embedding.weight],
    ]);
  }

  loadTargets(name: string): Map<string, Tensor> {
    return this.savedTensors(name);
  }
}
