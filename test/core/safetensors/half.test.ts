import { describe, expect, it } from 'vitest';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
} from '../../../src/core/safetensors/dtypes.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function fromBits(bits: number): number {
  u32[0] = bits;
  return f32[0];
}

describe('float16', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite
    [65519.99, 0x7bff], // just below the midpoint to Inf
    [65520, 0x7c00], // midpoint: ties to even, and the even neighbour is Inf
    [1e6, 0x7c00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [0, 0x0000],
    [-0, 0x8000],
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half the smallest subnormal: tie to even (zero)
    [-(2 ** -25), 0x8000],
    [fromBits(0x33000001), 0x0001], // just above 2^-25 rounds up
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units: even
    [5 * 2 ** -25, 0x0002], // tie between 2 and 3 units: even
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: even
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [2047 * 2 ** -25, 0x0400], // rounds out of the subnormal range into the smallest normal
    [1e-10, 0x0000],
    [fromBits(0x00000001), 0x0000], // float32 subnormal
  ])('%d -> 0x%s', (x, bits) => {
    expect(f32ToF16Bits(x)).toBe(bits);
  });

  it('keeps NaN a NaN, whatever its payload', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffc00000, 0x7f802000]) {
      const h = f32ToF16Bits(fromBits(bits));
      expect(h & 0x7c00).toBe(0x7c00);
      expect(h & 0x3ff).not.toBe(0);
      expect(f16BitsToF32(h)).toBeNaN();
    }
  });

  it('round-trips every finite and infinite half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) continue;
      expect(f32ToF16Bits(f16BitsToF32(h))).toBe(h);
    }
  });

  it('rounds every midpoint between neighbouring halves to the even one', () => {
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (f16BitsToF32(h) + f16BitsToF32(h + 1)) / 2; // exact in float32 (12 bits)
      expect(Math.fround(mid)).toBe(mid);
      const even = h % 2 === 0 ? h : h + 1;
      expect(f32ToF16Bits(mid)).toBe(even);
      expect(f32ToF16Bits(-mid)).toBe(even | 0x8000);
    }
  });

  it('decodes specials', () => {
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x3555)).toBe(0.333251953125);
  });
});

describe('bfloat16', () => {
  it.each([
    [1, 0x3f80],
    [-1, 0xbf80],
    [fromBits(0x3f808000), 0x3f80], // tie, even neighbour below
    [fromBits(0x3f818000), 0x3f82], // tie, even neighbour above
    [fromBits(0x3f808001), 0x3f81], // above the tie
    [fromBits(0x3f807fff), 0x3f80], // below the tie
    [fromBits(0x7f7fffff), 0x7f80], // float32 max rounds up to Inf
    [fromBits(0x7f7f7fff), 0x7f7f], // ... but not when below the midpoint
    [Infinity, 0x7f80],
    [-Infinity, 0xff80],
    [-0, 0x8000],
    [fromBits(0x00008000), 0x0000], // subnormal tie to even (zero)
    [fromBits(0x00018000), 0x0002], // subnormal tie to even (up)
    [fromBits(0x00010000), 0x0001], // smallest bf16 subnormal, exact
  ])('%d -> 0x%s', (x, bits) => {
    expect(f32ToBf16Bits(x)).toBe(bits);
  });

  it('keeps NaN a NaN, even one whose payload sits only in the low bits', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xff800001]) {
      expect(bf16BitsToF32(f32ToBf16Bits(fromBits(bits)))).toBeNaN();
    }
  });

  it('round-trips every bfloat16 exactly', () => {
    for (let b = 0; b < 0x10000; b++) {
      const x = bf16BitsToF32(b);
      if (Number.isNaN(x)) continue;
      expect(f32ToBf16Bits(x)).toBe(b);
    }
  });
});
