/** Hand-built safetensors bytes for tests: any header text, any data, any declared length. */
export function rawFile(
  header: string | Uint8Array,
  data: Uint8Array | number = 0,
  declaredLength?: bigint,
): Uint8Array {
  const head = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + head.byteLength + body.byteLength);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(head.byteLength), true);
  out.set(head, 8);
  out.set(body, 8 + head.byteLength);
  return out;
}

/** Little-endian bytes of a typed array (tests run on little-endian hosts; checked below). */
export function bytesOf(arr: ArrayBufferView): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian host');
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
}

/** mulberry32: a tiny deterministic PRNG (the house rule: no Math.random). Returns [0, 2^32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
