// Entry point of build/kernels.wasm (imports a shared memory) and build/kernels-unshared.wasm (the
// same code on an unshared one), and of their relaxed-SIMD twins build/kernels-relaxed*.wasm.
// JS owns the memory layout above heapBase() (a control block, per-thread GEMM scratch, then an
// arena for operands). Its only static data are constant tables, so instantiating it once per
// thread on the same memory rewrites identical bytes and disturbs nothing.

export { gemmRun, gemmScratchBytes } from './gemm';
export {
  softmaxRows,
  softmaxBackwardRows,
  logSoftmaxRows,
  layerNormRows,
  layerNormBackwardRows,
} from './rows';
export { gelu, geluBackward, adamStep } from './pointwise';
export { tanhForward, tanhBackward } from './tanh';
export { addColumnSums } from './colsum';

/** First byte past this module's static data; JS lays out its regions above it. */
export function heapBase(): usize {
  return __heap_base;
}
