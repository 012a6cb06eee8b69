/**
 * Decoding a tensor's little-endian bytes into a fresh typed array the caller owns. Floats widen
 * or round to the requested precision; integers convert exactly where they fit. I64 values beyond
 * 2^53 round when decoded as floats (they have no exact float form); as int32 they must fit.
 */
import { SafetensorsError } from '../errors.js';
import {
  bf16BitsToF32,
  DTYPE_SIZES,
  f16BitsToF32,
  hostOrderCopy,
  LITTLE_ENDIAN,
} from './dtypes.js';
import { quote } from './header.js';
import type { SafeTensorEntry } from './reader.js';

/** The tensor as float32; every dtype is accepted (F64 and large I64 values round). */
export function decodeFloat32(entry: SafeTensorEntry): Float32Array {
  if (entry.dtype === 'F32') return new Float32Array(hostOrderCopy(entry.data, 4));
  return decodeInto(entry, new Float32Array(elements(entry)));
}

/** The tensor as float64; exact for every dtype except I64 values beyond 2^53. */
export function decodeFloat64(entry: SafeTensorEntry): Float64Array {
  if (entry.dtype === 'F64') return new Float64Array(hostOrderCopy(entry.data, 8));
  return decodeInto(entry, new Float64Array(elements(entry)));
}

/** The tensor as int32: integer dtypes only; an I64 value outside int32 is an error. */
export function decodeInt32(entry: SafeTensorEntry): Int32Array {
  const { data, dtype } = entry;
  switch (dtype) {
    case 'I32':
      return new Int32Array(hostOrderCopy(data, 4));
    case 'I64': {
      const wide = new BigInt64Array(hostOrderCopy(data, 8));
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i];
        if (v < -2147483648n || v > 2147483647n) {
          throw new SafetensorsError(
            `tensor ${quote(entry.name)}: I64 value ${v} at index ${i} does not fit in int32`,
          );
        }
        out[i] = Number(v);
      }
      return out;
    }
    case 'I8':
      return new Int32Array(new Int8Array(data.buffer, data.byteOffset, data.byteLength));
    case 'U8':
      return new Int32Array(data);
    case 'BOOL':
      return Int32Array.from(data, (b) => (b !== 0 ? 1 : 0));
    default:
      throw new SafetensorsError(
        `tensor ${quote(entry.name)}: cannot decode ${dtype} as int32 (integer dtypes only)`,
      );
  }
}

function elements(entry: SafeTensorEntry): number {
  return entry.data.byteLength / DTYPE_SIZES[entry.dtype];
}

function decodeInto<T extends Float32Array | Float64Array>(entry: SafeTensorEntry, out: T): T {
  const { data } = entry;
  switch (entry.dtype) {
    case 'F32':
      out.set(new Float32Array(hostOrderCopy(data, 4)));
      break;
    case 'F64':
      out.set(new Float64Array(hostOrderCopy(data, 8)));
      break;
    case 'F16': {
      const h = new Uint16Array(hostOrderCopy(data, 2));
      for (let i = 0; i < h.length; i++) out[i] = f16BitsToF32(h[i]);
      break;
    }
    case 'BF16': {
      const h = new Uint16Array(hostOrderCopy(data, 2));
      if (out instanceof Float32Array && LITTLE_ENDIAN) {
        // Shifting the bits into place keeps NaN payloads and is much faster than per-value math.
        const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
        for (let i = 0; i < h.length; i++) bits[i] = h[i] << 16;
      } else {
        for (let i = 0; i < h.length; i++) out[i] = bf16BitsToF32(h[i]);
      }
      break;
    }
    case 'I64': {
      const wide = new BigInt64Array(hostOrderCopy(data, 8));
      for (let i = 0; i < wide.length; i++) out[i] = Number(wide[i]);
      break;
    }
    case 'I32':
      out.set(new Int32Array(hostOrderCopy(data, 4)));
      break;
    case 'I8':
      out.set(new Int8Array(data.buffer, data.byteOffset, data.byteLength));
      break;
    case 'U8':
      out.set(data);
      break;
    case 'BOOL':
      for (let i = 0; i < data.length; i++) out[i] = data[i] !== 0 ? 1 : 0;
      break;
  }
  return out;
}
