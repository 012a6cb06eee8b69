import { describe, expect, it } from 'vitest';
import { SafetensorsError } from '../../../src/core/errors.js';
import {
  decodeFloat64,
  decodeInt32,
  readSafetensors,
  serializeSafetensors,
} from '../../../src/core/safetensors/index.js';
import { prng } from './helpers.js';

/** A small valid file: three tensors of different dtypes plus metadata. */
function validFile(): Uint8Array {
  return serializeSafetensors(
    {
      'encoder.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      'encoder.bias': { dtype: 'F16', shape: [3], data: new Float32Array([0.5, -1, 65504]) },
      position_ids: { dtype: 'I64', shape: [1, 4], data: new Int32Array([0, 1, 2, 3]) },
    },
    { format: 'pt', note: 'fuzz' },
  );
}

/** Parse; anything but a clean parse or a SafetensorsError fails the test. */
function parseOrTypedError(bytes: Uint8Array): 'ok' | 'rejected' {
  try {
    const file = readSafetensors(bytes, 'fuzz.safetensors');
    // A file that parses must also decode: offsets and sizes were all checked.
    for (const entry of file.tensors.values()) {
      decodeFloat64(entry);
      if (entry.dtype === 'I64') {
        try {
          decodeInt32(entry);
        } catch (err) {
          if (!(err instanceof SafetensorsError)) throw err;
        }
      }
    }
    return 'ok';
  } catch (err) {
    if (err instanceof SafetensorsError) {
      expect(err.message).not.toContain('\n');
      return 'rejected';
    }
    throw err;
  }
}

describe('fuzzing the reader', () => {
  const file = validFile();

  it('the base file is valid', () => {
    expect(parseOrTypedError(file)).toBe('ok');
  });

  it('rejects the file truncated at every byte offset with a SafetensorsError', () => {
    for (let n = 0; n < file.byteLength; n++) {
      const cut = file.slice(0, n);
      expect(() => readSafetensors(cut, `cut-${n}`), `truncated at ${n}`).toThrow(SafetensorsError);
    }
  });

  it('survives 2,000 random single-bit flips: a clean parse or a SafetensorsError', () => {
    const next = prng(0x5afe7e45);
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < 2000; i++) {
      const bytes = file.slice();
      const bit = next() % (bytes.byteLength * 8);
      bytes[bit >>> 3] ^= 1 << (bit & 7);
      outcomes[parseOrTypedError(bytes)]++;
    }
    // Flips in the data section leave a valid file; flips in the length or JSON mostly do not.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
  });

  it('survives 500 random multi-byte corruptions of the header', () => {
    const next = prng(1234);
    const headerEnd = 8 + Number(new DataView(file.buffer).getBigUint64(0, true));
    for (let i = 0; i < 500; i++) {
      const bytes = file.slice();
      const edits = 1 + (next() % 8);
      for (let e = 0; e < edits; e++) bytes[next() % headerEnd] = next() & 0xff;
      parseOrTypedError(bytes);
    }
  });
});
