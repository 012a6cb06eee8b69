export { Module, type TraversalOptions } from './module.js';
export { Parameter, asParameter } from './parameter.js';
export {
  LoadStateDictError,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type StateDictInput,
} from './state-dict.js';
export {
  ModuleDict,
  ModuleList,
  ParameterList,
  Sequential,
  type UnaryModule,
} from './containers.js';
export * as init from './init.js';
export * from './init.js';
export * from './layers/index.js';
