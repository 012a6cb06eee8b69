import { registerPeftMethod } from '../registry.js';
import { ia3ConfigSchema, prepareIA3Config, type IA3Config } from './config.js';
import { IA3Model } from './model.js';

export * from './config.js';
export { IA3Layer } from './layer.js';
export { IA3Model } from './model.js';

registerPeftMethod<IA3Config>({
  name: 'ia3',
  peftType: 'IA3',
  configSchema: ia3ConfigSchema,
  promptLearning: false,
  mergeable: true,
  prepareConfig: prepareIA3Config,
  create: (model) => new IA3Model(model),
});
