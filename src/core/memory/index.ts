export {
  poolStats,
  resetPoolStats,
  trimPool,
  ReleasedTensorError,
  MIN_POOLED_ELEMENTS,
  type PoolStats,
} from './pool.js';
export { memoryScope, keep } from './scope.js';
export { residentFloat32 } from './arena.js';
