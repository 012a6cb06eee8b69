export {
  DTYPE_SIZES,
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  type SafetensorsDType,
} from './dtypes.js';
export { MAX_HEADER_BYTES, type ParsedHeader, type SafeTensorInfo } from './header.js';
export {
  loadSafetensors,
  loadSafetensorsSync,
  readSafetensors,
  readSafetensorsHeader,
  type SafeTensorEntry,
  type SafetensorsFile,
  type SafetensorsHeader,
} from './reader.js';
export { decodeFloat32, decodeFloat64, decodeInt32 } from './decode.js';
export {
  saveSafetensors,
  saveSafetensorsSync,
  serializeSafetensors,
  serializeSafetensorsChunks,
  type SafetensorsWriteDType,
  type TensorData,
  type TensorToWrite,
  type TensorsToWrite,
} from './writer.js';
