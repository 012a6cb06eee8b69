import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../../src/core/errors.js';
import {
  decodeFloat32,
  decodeFloat64,
  decodeInt32,
  readSafetensors,
  serializeSafetensors,
  serializeSafetensorsChunks,
  type SafeTensorEntry,
  type TensorsToWrite,
} from '../../../src/core/safetensors/index.js';
import { bytesOf, rawFile } from './helpers.js';

function roundTrip(tensors: TensorsToWrite, metadata?: Record<string, string>) {
  return readSafetensors(serializeSafetensors(tensors, metadata));
}

function entry(file: ReturnType<typeof readSafetensors>, name: string): SafeTensorEntry {
  const e = file.tensors.get(name);
  if (e === undefined) throw new Error(`no tensor ${name}`);
  return e;
}

describe('writer layout', () => {
  it('pads the header with spaces to a multiple of 8, metadata first, tensors by name', () => {
    const bytes = serializeSafetensors(
      {
        b: { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
        a: { dtype: 'I32', shape: [2], data: new Int32Array([7, 8]) },
      },
      { format: 'pt' },
    );
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},' +
        '"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]},' +
        '"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
    );
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    expect(bytes.byteLength).toBe(8 + n + 12);
  });

  it('writes the same bytes as one array and as chunks', () => {
    const tensors = { x: { dtype: 'F16', shape: [3], data: new Float32Array([1, 2, 3]) } } as const;
    const chunks = serializeSafetensorsChunks(tensors);
    const joined = Buffer.concat(chunks);
    expect(new Uint8Array(joined)).toEqual(serializeSafetensors(tensors));
  });

  it('accepts a Map and an empty set of tensors', () => {
    const file = roundTrip(new Map());
    expect(file.tensors.size).toBe(0);
    expect(Object.keys(file.metadata)).toEqual([]);
  });

  it('refuses bad input with a SafetensorsError naming the tensor', () => {
    const bad: [TensorsToWrite, RegExp][] = [
      [{ w: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }, /"w".*2 values.*\[3\]/],
      [{ w: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }, /"w".*shape/],
      [{ w: { dtype: 'F16', shape: [1], data: new Float64Array(1) } }, /"w".*Float64Array as F16/],
      [{ w: { dtype: 'I32', shape: [1], data: new Float32Array(1) } }, /"w".*Float32Array as I32/],
      [{ w: { dtype: 'F32', shape: [2], data: new Uint8Array(7) } }, /"w".*7 raw bytes.*needs 8/],
      [{ w: { dtype: 'U8' as 'F32', shape: [1], data: new Uint8Array(1) } }, /cannot write dtype/],
      [{ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } }, /reserved/],
      [{ ['\ud800']: { dtype: 'F32', shape: [0], data: new Float32Array(0) } }, /lone surrogate/],
      [
        { w: { dtype: 'F32', shape: [2 ** 31, 2 ** 31, 2 ** 31], data: new Float32Array(0) } },
        /more than 2\^53/,
      ],
    ];
    for (const [tensors, message] of bad) {
      expect(() => serializeSafetensors(tensors)).toThrow(SafetensorsError);
      expect(() => serializeSafetensors(tensors)).toThrow(message);
    }
    const meta = { v: 3 } as unknown as Record<string, string>;
    expect(() => serializeSafetensors({}, meta)).toThrow(/value for key "v" must be a string/);
  });
});

describe('round trips for every write dtype', () => {
  it('F32 keeps every bit, including -0, Inf and NaN', () => {
    const values = new Float32Array([0, -0, 1.5, -3.25e-20, 3.4e38, Infinity, -Infinity, NaN]);
    const file = roundTrip({ x: { dtype: 'F32', shape: [2, 4], data: values } });
    const x = entry(file, 'x');
    expect(x.shape).toEqual([2, 4]);
    expect(bytesOf(decodeFloat32(x))).toEqual(bytesOf(values));
    expect(decodeFloat64(x)[3]).toBe(Math.fround(-3.25e-20));
  });

  it('F32 from Float64Array rounds each value once', () => {
    const file = roundTrip({
      x: { dtype: 'F32', shape: [2], data: new Float64Array([0.1, 1e300]) },
    });
    expect(Array.from(decodeFloat32(entry(file, 'x')))).toEqual([Math.fround(0.1), Infinity]);
  });

  it('F64 keeps every bit', () => {
    const values = new Float64Array([0.1, -0, 5e-324, Number.MAX_VALUE, NaN]);
    const file = roundTrip({ x: { dtype: 'F64', shape: [5], data: values } });
    expect(bytesOf(decodeFloat64(entry(file, 'x')))).toEqual(bytesOf(values));
  });

  it('F16 stores exact halves and rounds ties to even', () => {
    const input = new Float32Array([
      1,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      65520,
      -Infinity,
      NaN,
      2 ** -24,
      2 ** -25,
      3 * 2 ** -25,
      0.1,
    ]);
    const file = roundTrip({ h: { dtype: 'F16', shape: [10], data: input } });
    const h = entry(file, 'h');
    expect(Array.from(new Uint16Array(h.data.slice().buffer))).toEqual([
      0x3c00, 0x3c00, 0x3c02, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x0000, 0x0002, 0x2e66,
    ]);
    const back = decodeFloat32(h);
    expect(Array.from(back.subarray(0, 5))).toEqual([1, 1, 1 + 2 ** -9, Infinity, -Infinity]);
    expect(back[5]).toBeNaN();
    expect(Array.from(back.subarray(6))).toEqual([2 ** -24, 0, 2 ** -23, 0.0999755859375]);
  });

  it('F16 and BF16 accept raw bit patterns as Uint16Array', () => {
    const bits = new Uint16Array([0x3c00, 0x7bff]);
    const file = roundTrip({
      h: { dtype: 'F16', shape: [2], data: bits },
      b: { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0xc000]) },
    });
    expect(Array.from(decodeFloat32(entry(file, 'h')))).toEqual([1, 65504]);
    expect(Array.from(decodeFloat64(entry(file, 'b')))).toEqual([1, -2]);
  });

  it('BF16 rounds to nearest even and keeps Inf and NaN', () => {
    const f = new Float32Array(
      new Uint32Array([0x3f808000, 0x3f818000, 0x3f808001, 0x7f7fffff, 0xff800000, 0x7fc00000])
        .buffer,
    );
    const file = roundTrip({ b: { dtype: 'BF16', shape: [6], data: f } });
    const b = entry(file, 'b');
    expect(Array.from(new Uint16Array(b.data.slice().buffer))).toEqual([
      0x3f80, 0x3f82, 0x3f81, 0x7f80, 0xff80, 0x7fc0,
    ]);
    const back = decodeFloat32(b);
    expect(Array.from(back.subarray(0, 5))).toEqual([
      1,
      1 + 2 ** -6,
      1 + 2 ** -7,
      Infinity,
      -Infinity,
    ]);
    expect(back[5]).toBeNaN();
  });

  it('I64 from Int32Array and from BigInt64Array', () => {
    const file = roundTrip({
      small: { dtype: 'I64', shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
      big: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n]) },
    });
    const small = entry(file, 'small');
    expect(Array.from(new BigInt64Array(small.data.slice().buffer))).toEqual([
      -2147483648n,
      0n,
      2147483647n,
    ]);
    expect(Array.from(decodeInt32(small))).toEqual([-2147483648, 0, 2147483647]);
    const big = entry(file, 'big');
    expect(Array.from(new BigInt64Array(big.data.slice().buffer))).toEqual([
      -(2n ** 63n),
      2n ** 53n + 1n,
    ]);
    expect(() => decodeInt32(big)).toThrow(SafetensorsError);
    expect(() => decodeInt32(big)).toThrow(
      /"big".*-9223372036854775808 at index 0 does not fit in int32/,
    );
    expect(Array.from(decodeFloat64(big))).toEqual([-(2 ** 63), 2 ** 53]);
  });

  it('I32 keeps every value; zero-size and scalar tensors work', () => {
    const file = roundTrip({
      i: { dtype: 'I32', shape: [2, 2], data: new Int32Array([1, -1, 2147483647, -2147483648]) },
      empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
      scalar: { dtype: 'F64', shape: [], data: new Float64Array([42]) },
    });
    expect(Array.from(decodeInt32(entry(file, 'i')))).toEqual([1, -1, 2147483647, -2147483648]);
    expect(entry(file, 'empty').data.byteLength).toBe(0);
    expect(entry(file, 'empty').shape).toEqual([0, 5]);
    expect(Array.from(decodeFloat32(entry(file, 'scalar')))).toEqual([42]);
    expect(entry(file, 'scalar').shape).toEqual([]);
  });

  it('keeps metadata, and `__proto__` / `constructor` stay plain keys', () => {
    const meta: Record<string, string> = Object.create(null);
    meta['__proto__'] = 'p';
    meta['constructor'] = 'c';
    meta['note'] = 'line\nbreak "quoted" ünïcødé';
    const tensors = new Map([
      ['__proto__', { dtype: 'F32' as const, shape: [1], data: new Float32Array([9]) }],
    ]);
    const file = roundTrip(tensors, meta);
    expect(Object.getPrototypeOf(file.metadata)).toBeNull();
    expect(Object.keys(file.metadata).sort()).toEqual(['__proto__', 'constructor', 'note']);
    expect(file.metadata['__proto__']).toBe('p');
    expect(file.metadata.note).toBe('line\nbreak "quoted" ünïcødé');
    expect(Array.from(decodeFloat32(entry(file, '__proto__')))).toEqual([9]);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});

describe('reading every read dtype from hand-built bytes', () => {
  function single(dtype: string, shape: number[], data: Uint8Array) {
    const header = JSON.stringify({ t: { dtype, shape, data_offsets: [0, data.byteLength] } });
    return entry(readSafetensors(rawFile(header, data)), 't');
  }

  it('F32, F64, F16, BF16', () => {
    expect(
      Array.from(decodeFloat32(single('F32', [2], bytesOf(new Float32Array([1.5, -2]))))),
    ).toEqual([1.5, -2]);
    expect(
      Array.from(decodeFloat32(single('F64', [2], bytesOf(new Float64Array([0.1, 1e39]))))),
    ).toEqual([Math.fround(0.1), Infinity]);
    expect(
      Array.from(
        decodeFloat64(single('F16', [3], bytesOf(new Uint16Array([0x3c00, 0x8001, 0x7bff])))),
      ),
    ).toEqual([1, -(2 ** -24), 65504]);
    expect(
      Array.from(decodeFloat64(single('BF16', [2], bytesOf(new Uint16Array([0x4049, 0x0001]))))),
    ).toEqual([3.140625, bf16Tiny()]);
  });

  it('I64, I32, I8, U8, BOOL', () => {
    const i64 = single('I64', [2], bytesOf(new BigInt64Array([-5n, 7n])));
    expect(Array.from(decodeInt32(i64))).toEqual([-5, 7]);
    expect(Array.from(decodeFloat32(i64))).toEqual([-5, 7]);
    const i32 = single('I32', [1, 2], bytesOf(new Int32Array([-7, 123456789])));
    expect(Array.from(decodeInt32(i32))).toEqual([-7, 123456789]);
    expect(Array.from(decodeFloat64(i32))).toEqual([-7, 123456789]);
    const i8 = single('I8', [3], new Uint8Array([0x80, 0xff, 0x7f]));
    expect(Array.from(decodeInt32(i8))).toEqual([-128, -1, 127]);
    expect(Array.from(decodeFloat32(i8))).toEqual([-128, -1, 127]);
    const u8 = single('U8', [3], new Uint8Array([0, 128, 255]));
    expect(Array.from(decodeInt32(u8))).toEqual([0, 128, 255]);
    expect(Array.from(decodeFloat64(u8))).toEqual([0, 128, 255]);
    const bool = single('BOOL', [3], new Uint8Array([0, 1, 2]));
    expect(Array.from(decodeInt32(bool))).toEqual([0, 1, 1]);
    expect(Array.from(decodeFloat32(bool))).toEqual([0, 1, 1]);
  });

  it('entries are zero-copy views, decoded arrays are fresh copies', () => {
    const bytes = rawFile(
      JSON.stringify({ t: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
      bytesOf(new Float32Array([1])),
    );
    const t = entry(readSafetensors(bytes), 't');
    expect(t.data.buffer).toBe(bytes.buffer);
    const decoded = decodeFloat32(t);
    decoded[0] = 5;
    expect(decodeFloat32(t)[0]).toBe(1);
  });

  it('decodes unaligned data (odd header length) correctly', () => {
    const header = JSON.stringify({ t: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }) + ' ';
    expect(header.length % 8).not.toBe(0);
    const t = entry(readSafetensors(rawFile(header, bytesOf(new Float64Array([2.5])))), 't');
    expect(decodeFloat64(t)[0]).toBe(2.5);
  });

  it('refuses to decode floats as int32', () => {
    const t = single('F32', [1], bytesOf(new Float32Array([1])));
    expect(() => decodeInt32(t)).toThrow(/"t": cannot decode F32 as int32/);
  });
});

function bf16Tiny(): number {
  return 2 ** -133; // bf16 0x0001: the smallest subnormal
}
