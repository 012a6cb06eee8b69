import { registerPeftMethod } from '../registry.js';
import {
  preparePromptTuningConfig,
  promptTuningConfigSchema,
  type PromptTuningConfig,
} from './config.js';
import { PromptTuningTuner } from './model.js';

export * from './config.js';
export { PromptEmbedding, textInitIds } from './layer.js';
export { PromptTuningTuner } from './model.js';

registerPeftMethod<PromptTuningConfig>({
  name: 'prompt_tuning',
  peftType: 'PROMPT_TUNING',
  configSchema: promptTuningConfigSchema,
  promptLearning: true,
  mergeable: false,
  prepareConfig: preparePromptTuningConfig,
  create: (model) => new PromptTuningTuner(model),
});
