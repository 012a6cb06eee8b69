import './tensor-methods.js';

export * from './errors.js';
export * from './dtype.js';
export * from './shape.js';
export { Tensor } from './tensor.js';
export * from './creation.js';
export {
  backward,
  noGrad,
  enableGrad,
  isGradEnabled,
  customOp,
  record,
  zeroGradInPlace,
  type CustomFunction,
  type GradNode,
} from './autograd.js';
export { Generator, type GeneratorState } from './rng.js';
export * from './ops/index.js';
export * from './backend/index.js';
export { initDefaultBackend, useBackend, type UseBackendOptions } from './backend/select.js';
export * from './memory/index.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './testing/gradcheck.js';
export * from './safetensors/index.js';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic.js';
