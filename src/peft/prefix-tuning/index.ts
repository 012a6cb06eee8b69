import { registerPeftMethod } from '../registry.js';
import {
  prefixTuningConfigSchema,
  preparePrefixTuningConfig,
  type PrefixTuningConfig,
} from './config.js';
import { PrefixTuningTuner } from './model.js';

export * from './config.js';
export { PrefixEncoder } from './layer.js';
export { PrefixTuningTuner } from './model.js';

registerPeftMethod<PrefixTuningConfig>({
  name: 'prefix_tuning',
  peftType: 'PREFIX_TUNING',
  configSchema: prefixTuningConfigSchema,
  promptLearning: true,
  mergeable: false,
  prepareConfig: preparePrefixTuningConfig,
  create: (model) => new PrefixTuningTuner(model),
});
