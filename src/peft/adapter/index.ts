import { registerPeftMethod } from '../registry.js';
import {
  bottleneckConfigSchema,
  prepareBottleneckConfig,
  type BottleneckConfig,
} from './config.js';
import { adapterHubFormat } from './format.js';
import { BottleneckModel } from './model.js';

export * from './config.js';
export { BottleneckAdapter, BottleneckDict, BottleneckLayer } from './layer.js';
export {
  couplingBlock,
  GLOWCouplingBlock,
  InvertibleAdapters,
  NICECouplingBlock,
  type CouplingBlock,
} from './invertible.js';
export { adapterHubFormat } from './format.js';
export { BottleneckModel } from './model.js';

registerPeftMethod<BottleneckConfig>({
  name: 'adapter',
  peftType: 'BOTTLENECK',
  configSchema: bottleneckConfigSchema,
  knownKeys: ['architecture'],
  directory: adapterHubFormat,
  promptLearning: false,
  mergeable: false,
  prepareConfig: prepareBottleneckConfig,
  create: (model) => new BottleneckModel(model),
});
