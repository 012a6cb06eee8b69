import { expand, noGrad, permute, reshape, slice, type Tensor } from '../../core/index.js';
import type { Module } from '../../nn/index.js';
import type { LayerCache } from '../../models/index.js';
import type { PeftInputs, TunerContext } from '../registry.js';
import { inputEmbeddings } from '../utils/model-info.js';
import { PromptLearningTuner } from '../utils/prompt-learning.js';
import type { PrefixTuningConfig } from './config.js';
import { PrefixEncoder } from './layer.js';

/**
 * Prefix tuning on a model, as PEFT's prefix branch: the prefixes reach every attention layer as
 * past key/values (Hugging Face's past_key_values; BERT takes them the same way), the attention
 * mask gets ones for them, and positions start after them as they do after any cache.
 */
export class PrefixTuningTuner extends PromptLearningTuner<PrefixTuningConfig> {
  protected makeEncoder(name: string, config: PrefixTuningConfig, ctx: TunerContext): Module {
    const dtype = inputEmbeddings(this.model).weight.dtype === 'float64' ? 'float64' : 'float32';
    // PEFT builds the MLP only when training (inference_mode false) and stores its output, so
    // an adapter read back from a file has no MLP: its flattened prefixes are the parameters.
    const projection = config.prefix_projection && !config.inference_mode && !ctx.fromCheckpoint;
    if (config.prefix_projection && ctx.fromCheckpoint && !config.inference_mode) {
      ctx.onWarning(
        `prefix tuning '${name}': the file holds the projected prefixes only; they are trained directly (the reparameterisation MLP cannot be restored)`,
      );
    }
    return new PrefixEncoder(
      {
        numVirtualTokens: config.num_virtual_tokens,
        tokenDim: config.token_dim!,
        numLayers: config.num_layers!,
        encoderHiddenSize: config.encoder_hidden_size!,
        projection,
        zeroInit: config.init_weights === 'zero',
        dtype,
      },
      ctx.fromCheckpoint ? null : ctx.rng,
    );
  }

  /**
   * Per-layer prefixes: PEFT views [N, L * 2 * D] as [N, L * 2, H, D / H] and permutes to
   * [L * 2, H, N, D / H]; layer l takes rows 2l (keys) and 2l + 1 (values), repeated over the batch.
   */
  prefixes(name: string, batch: number): LayerCache[] {
    const config = this.configs.get(name)!;
    const n = config.num_virtual_tokens;
    const L = config.num_layers!;
    const H = config.num_attention_heads!;
    const hd = config.token_dim! / H;
    const flat = (this.promptEncoder.get(name) as PrefixEncoder).forward();
    const all = permute(reshape(flat, [n, L * 2, H, hd]), [1, 2, 0, 3]);
    const at = (i: number): Tensor => expand(slice(all, 0, i, i + 1), [batch, H, n, hd]);
    return Array.from({ length: L }, (_, l) => ({ key: at(2 * l), value: at(2 * l + 1) }));
  }

  protected withPrompts(
    inputs: PeftInputs,
    name: string,
    _config: PrefixTuningConfig,
    batch: number,
  ): PeftInputs {
    return { ...inputs, pastKeyValues: this.prefixes(name, batch) };
  }

  savedTensors(name: string): Map<string, Tensor> {
    const enc = this.promptEncoder.get(name) as PrefixEncoder;
    return new Map([['prompt_embeddings', noGrad(() => enc.forward())]]);
  }

  loadTargets(name: string): Map<string, Tensor> {
    return new Map([
      ['prompt_embeddings', (this.promptEncoder.get(name) as PrefixEncoder).embedding.weight],
    ]);
  }
}
