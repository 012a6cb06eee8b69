/**
 * Safetensors dtypes, their byte sizes, and the float16 / bfloat16 bit conversions.
 * Safetensors data is always little-endian; the helpers at the bottom keep big-endian hosts correct.
 */

/** Bytes per element of each dtype this package reads. */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDType = keyof typeof DTYPE_SIZES;

export function isSafetensorsDType(s: string): s is SafetensorsDType {
  return Object.hasOwn(DTYPE_SIZES, s);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE binary16 bits, round to nearest even; subnormals, infinities and NaN kept. */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) {
    // NaN stays NaN (the quiet bit makes sure a payload truncated to zero does not become Inf).
    return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  }
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Below 2^-25 everything rounds to zero (exactly 2^-25 is a tie that goes to even, i.e. zero).
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 2 ** (shift - 1);
    const rest = m % (half * 2);
    let h = Math.floor(m / (half * 2));
    if (rest > half || (rest === half && (h & 1) !== 0)) h += 1;
    // A carry out of the subnormal range yields 0x400, which is exactly the smallest normal.
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry propagates into the exponent, and from the largest finite value into Inf, as it should.
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0)) h += 1;
  return h;
}

/** IEEE binary16 bits -> the number it represents (exact in float32). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (0x400 + mant) * 2 ** (exp - 25);
}

/** float32 -> bfloat16 bits (the top half of the float32), round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    return ((bits >>> 16) | 0x40) & 0xffff;
  }
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

export function bf16BitsToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0];
}

export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type NumericArray =
  Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Int8Array | Uint8Array;

/** The little-endian bytes of `arr`: a zero-copy view on little-endian hosts, a swapped copy else. */
export function littleEndianBytes(arr: NumericArray): Uint8Array {
  const view = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  return LITTLE_ENDIAN || arr.BYTES_PER_ELEMENT === 1 ? view : swapped(view, arr.BYTES_PER_ELEMENT);
}

/**
 * A fresh, aligned copy of little-endian `data` in host byte order, ready to view as a typed array
 * of `width`-byte elements. Always a copy, so callers may mutate the result freely.
 */
export function hostOrderCopy(data: Uint8Array, width: number): ArrayBuffer {
  if (!LITTLE_ENDIAN && width > 1) return swapped(data, width).buffer as ArrayBuffer;
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy.buffer;
}

function swapped(data: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  for (let i = 0; i < data.byteLength; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = data[i + width - 1 - j];
  }
  return out;
}
