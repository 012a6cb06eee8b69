/** Element types a Tensor can hold. float64 exists for numerical gradient checks. */
export type DType = 'float32' | 'float64' | 'int32';
export type FloatDType = 'float32' | 'float64';

export type FloatArray = Float32Array | Float64Array;
export type TypedArray = Float32Array | Float64Array | Int32Array;

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

let allocatedBytes = 0;

/**
 * Bytes of tensor storage allocate() has handed out in this process, ever: the difference over a
 * training step shows whether a loop reuses its buffers (tests assert it does).
 */
export function allocatedTensorBytes(): number {
  return allocatedBytes;
}

export function allocate(dtype: DType, size: number): TypedArray {
  allocatedBytes += dtype === 'float64' ? 8 * size : 4 * size;
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
  }
}

export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'int32';
}
