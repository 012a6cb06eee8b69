import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../../src/core/errors.js';
import { readSafetensors } from '../../../src/core/safetensors/index.js';
import { rawFile } from './helpers.js';

const F32x2 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };

/** Expect a one-line SafetensorsError naming the source and matching `message`. */
function rejects(bytes: Uint8Array, message: RegExp): void {
  let caught: unknown;
  try {
    readSafetensors(bytes, 'bad.safetensors');
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  const text = (caught as Error).message;
  expect(text).toMatch(/^bad\.safetensors: /);
  expect(text).toMatch(message);
  expect(text).not.toContain('\n');
}

describe('malicious and malformed files', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty file', new Uint8Array(0), /0 bytes, shorter than the 8-byte/],
    ['7-byte file', new Uint8Array(7), /7 bytes, shorter/],
    [
      'length 2^63',
      rawFile('{}', 0, 2n ** 63n),
      /header length 9223372036854775808 is not a safe integer/,
    ],
    ['length 2^64-1', rawFile('{}', 0, 2n ** 64n - 1n), /not a safe integer/],
    ['length 2^53', rawFile('{}', 0, 2n ** 53n), /not a safe integer/],
    ['length over 100 MB', rawFile('{}', 0, 100_000_001n), /exceeds the 100000000-byte limit/],
    [
      'length beyond the file',
      rawFile('{}', 0, 3n),
      /header length 3 runs past the end of the file \(10 bytes\)/,
    ],
    ['zero-length header', rawFile('', 0), /unexpected end of JSON/],
    ['non-UTF-8 header', rawFile(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
    ['overlong UTF-8', rawFile(new Uint8Array([0x7b, 0xc0, 0xaf, 0x7d])), /not valid UTF-8/],
    [
      'UTF-8 BOM',
      rawFile(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])),
      /unexpected U\+FEFF where a value should start/,
    ],
    ['[] header', rawFile('[]'), /must be a JSON object, got an array/],
    ['"str" header', rawFile('"str"'), /must be a JSON object, got the string "str"/],
    ['null header', rawFile('null'), /got null/],
    ['number header', rawFile('1.5'), /got the number 1.5/],
    ['invalid JSON', rawFile('{"a":}'), /header JSON: unexpected "}" where a value should start/],
    ['trailing garbage', rawFile('{} x'), /unexpected "x" after the JSON value/],
    ['trailing NUL padding', rawFile('{}\0\0'), /unexpected U\+0000 after the JSON value/],
    ['unterminated string', rawFile('{"a'), /unterminated string/],
    ['raw newline in string', rawFile('{"a\nb":1}'), /unescaped control character U\+000A/],
    ['lone surrogate escape', rawFile('{"\\ud800":1}'), /lone high surrogate/],
    [
      'duplicate tensor',
      rawFile(`{"w":${JSON.stringify(F32x2)},"w":${JSON.stringify(F32x2)}}`, 8),
      /duplicate key "w"/,
    ],
    [
      'duplicate field',
      rawFile('{"w":{"dtype":"F32","dtype":"F16","shape":[],"data_offsets":[0,4]}}', 4),
      /duplicate key "dtype"/,
    ],
    ['duplicate metadata', rawFile('{"__metadata__":{"a":"1","a":"2"}}'), /duplicate key "a"/],
    [
      'duplicate via escapes',
      rawFile('{"__metadata__":{"a":"1","\\u0061":"2"}}'),
      /duplicate key "a"/,
    ],
    [
      '__proto__ entry that is not a tensor',
      rawFile('{"__proto__":{"polluted":true}}'),
      /tensor "__proto__" has unknown field "polluted"/,
    ],
    [
      'constructor entry of the wrong type',
      rawFile('{"constructor":"x"}'),
      /tensor "constructor" must be an object, got the string "x"/,
    ],
    ['entry not an object', rawFile('{"w":[1,2]}'), /tensor "w" must be an object, got an array/],
    [
      'unknown field',
      rawFile(`{"w":${JSON.stringify({ ...F32x2, extra: 1 })}}`, 8),
      /unknown field "extra"/,
    ],
    [
      'missing dtype',
      rawFile('{"w":{"shape":[],"data_offsets":[0,4]}}', 4),
      /missing field "dtype"/,
    ],
    [
      'missing shape',
      rawFile('{"w":{"dtype":"F32","data_offsets":[0,4]}}', 4),
      /missing field "shape"/,
    ],
    [
      'missing offsets',
      rawFile('{"w":{"dtype":"F32","shape":[]}}', 4),
      /missing field "data_offsets"/,
    ],
    [
      'unknown dtype',
      rawFile('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', 16),
      /unsupported dtype the string "F128" \(supported: F64, F32/,
    ],
    [
      'lowercase dtype',
      rawFile('{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', 4),
      /unsupported dtype/,
    ],
    [
      'dtype not a string',
      rawFile('{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', 4),
      /unsupported dtype number 4/,
    ],
    [
      'dtype __proto__',
      rawFile('{"w":{"dtype":"__proto__","shape":[1],"data_offsets":[0,4]}}', 4),
      /unsupported dtype/,
    ],
    [
      'dtype toString',
      rawFile('{"w":{"dtype":"toString","shape":[1],"data_offsets":[0,4]}}', 4),
      /unsupported dtype/,
    ],
    [
      'shape not an array',
      rawFile('{"w":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}', 16),
      /shape must be an array, got number 4/,
    ],
    [
      'negative dim',
      rawFile('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}'),
      /shape\[0\] must be a non-negative safe integer, got number -1/,
    ],
    [
      'float dim',
      rawFile('{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', 4),
      /shape\[0\] .* got the number 1.5/,
    ],
    [
      'float-looking integer dim',
      rawFile('{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', 4),
      /shape\[0\] .* got the number 1/,
    ],
    [
      'exponent dim',
      rawFile('{"w":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}', 4),
      /shape\[0\]/,
    ],
    [
      'dim 2^53',
      rawFile('{"w":{"dtype":"U8","shape":[9007199254740992],"data_offsets":[0,0]}}'),
      /shape\[0\] must be a non-negative safe integer/,
    ],
    [
      'string dim',
      rawFile('{"w":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}', 8),
      /shape\[0\] .* got the string "2"/,
    ],
    [
      'shape product overflow',
      rawFile(
        '{"w":{"dtype":"F32","shape":[2147483648,2147483648,2147483648],"data_offsets":[0,0]}}',
      ),
      /shape \[2147483648, 2147483648, 2147483648\] has more than 2\^53 elements/,
    ],
    [
      'byte size overflow',
      rawFile('{"w":{"dtype":"F64","shape":[9007199254740991],"data_offsets":[0,0]}}'),
      /needs 72057594037927928/,
    ],
    [
      'one offset',
      rawFile('{"w":{"dtype":"F32","shape":[0],"data_offsets":[0]}}'),
      /data_offsets must be \[begin, end\], got 1 numbers/,
    ],
    [
      'reversed offsets',
      rawFile('{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}', 4),
      /\[4, 0\] has begin after end/,
    ],
    [
      'negative offset',
      rawFile('{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', 4),
      /data_offsets\[0\] must be a non-negative safe integer/,
    ],
    [
      'huge offset',
      rawFile(
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]}}',
        4,
      ),
      /data_offsets\[0\] must be a non-negative safe integer/,
    ],
    [
      'offsets out of range',
      rawFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 4),
      /\[0, 8\] run past the 4-byte data section/,
    ],
    [
      'size mismatch',
      rawFile('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', 4),
      /span 4 bytes but F32 shape \[2\] needs 8/,
    ],
    [
      'overlapping offsets',
      rawFile(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
        12,
      ),
      /tensor "b" data_offsets \[4, 12\] overlap tensor "a" at \[0, 8\]/,
    ],
    [
      'identical offsets',
      rawFile(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}',
        4,
      ),
      /overlap/,
    ],
    [
      'gapped offsets',
      rawFile(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
        12,
      ),
      /tensor "b" data_offsets \[8, 12\] leave a gap of 4 bytes after the end of tensor "a"/,
    ],
    [
      'gap at the start',
      rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', 8),
      /leave a gap of 4 bytes after the data section/,
    ],
    [
      'trailing bytes',
      rawFile(`{"w":${JSON.stringify(F32x2)}}`, 9),
      /1 trailing bytes after the last tensor \(tensors cover 8 of the 9-byte data section\)/,
    ],
    ['data without tensors', rawFile('{}', 3), /3 trailing bytes/],
    [
      'metadata not an object',
      rawFile('{"__metadata__":"x"}'),
      /__metadata__ must be an object, got the string "x"/,
    ],
    [
      'metadata array',
      rawFile('{"__metadata__":["a"]}'),
      /__metadata__ must be an object, got an array/,
    ],
    [
      'non-string metadata value',
      rawFile('{"__metadata__":{"epochs":3}}'),
      /__metadata__ value for key "epochs" must be a string, got number 3/,
    ],
    [
      'nested metadata value',
      rawFile('{"__metadata__":{"cfg":{"a":"b"}}}'),
      /key "cfg" must be a string, got an object/,
    ],
    [
      'huge nesting',
      rawFile(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
      /nesting deeper than 8 levels/,
    ],
    ['huge nesting, unclosed', rawFile('['.repeat(1_000_000)), /nesting deeper than 8 levels/],
    [
      'long names are clipped',
      rawFile(`{"${'n'.repeat(10_000)}":1}`),
      /"n{64}\.\.\." must be an object/,
    ],
  ];

  it.each(cases)('%s', (_name, bytes, message) => rejects(bytes, message));

  it('leaves Object.prototype untouched after all of them', () => {
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(probe.dtype).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

describe('valid edge cases', () => {
  it('accepts an empty header, padding spaces and JSON whitespace', () => {
    expect(readSafetensors(rawFile('{}')).tensors.size).toBe(0);
    expect(readSafetensors(rawFile('{}      ')).tensors.size).toBe(0);
    expect(readSafetensors(rawFile(' \t\r\n{ }\n')).tensors.size).toBe(0);
  });

  it('accepts zero-size tensors anywhere, including at a shared offset', () => {
    const header = JSON.stringify({
      z1: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      z0: { dtype: 'I64', shape: [3, 0], data_offsets: [0, 0] },
      b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
      z2: { dtype: 'BOOL', shape: [0], data_offsets: [8, 8] },
    });
    const file = readSafetensors(rawFile(header, 8));
    expect([...file.tensors.keys()]).toEqual(['z1', 'a', 'z0', 'b', 'z2']);
    expect(file.tensors.get('z0')!.shape).toEqual([3, 0]);
  });

  it('accepts tensors listed out of offset order and escaped names', () => {
    const header =
      '{"b\\u00e9":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},' +
      '"\\ud83d\\ude00":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}';
    const file = readSafetensors(rawFile(header, new Uint8Array([1, 2, 3, 4])));
    expect(Array.from(file.tensors.get('bé')!.data)).toEqual([3, 4]);
    expect(Array.from(file.tensors.get('😀')!.data)).toEqual([1, 2]);
  });

  it('accepts a Buffer and reports <buffer> when no source is given', () => {
    expect(() => readSafetensors(Buffer.from([1, 2]))).toThrow(/^<buffer>: file is 2 bytes/);
  });
});
