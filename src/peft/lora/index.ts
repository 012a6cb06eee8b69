import { registerPeftMethod } from '../registry.js';
import { loraConfigSchema, prepareLoraConfig, type LoraConfig } from './config.js';
import { LoraModel } from './model.js';

export * from './config.js';
export { LoraLayer, isLoraBase, type LoraBase, type LoraAdapterOptions } from './layer.js';
export { LoraModel } from './model.js';

registerPeftMethod<LoraConfig>({
  name: 'lora',
  peftType: 'LORA',
  configSchema: loraConfigSchema,
  promptLearning: false,
  mergeable: true,
  prepareConfig: prepareLoraConfig,
  create: (model) => new LoraModel(model),
});
