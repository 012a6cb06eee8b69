import { Tensor } from '../../src/core/index.js';
import type { ClientResult, ParamMap } from '../../src/federated/index.js';

/** A ParamMap of float32 tensors: {name: [values] or [values, shape]}. */
export function pm(spec: Record<string, number[] | [number[], number[]]>): Map<string, Tensor> {
  return new Map(
    Object.entries(spec).map(([k, v]) => {
      const [values, shape] = Array.isArray(v[0])
        ? (v as [number[], number[]])
        : [v as number[], [v.length]];
      return [k, new Tensor(Float32Array.from(values), shape)];
    }),
  );
}

export function result(
  clientId: string,
  params: ParamMap,
  numExamples = 10,
  loss = 1,
): ClientResult {
  return { clientId, params, numExamples, loss };
}

/** The raw bytes of every tensor, for bit-identical comparisons. */
export function bits(params: ParamMap): Record<string, number[]> {
  return Object.fromEntries(
    [...params].map(([k, t]) => [
      k,
      [...new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)],
    ]),
  );
}

export function values(params: ParamMap): Record<string, number[]> {
  return Object.fromEntries([...params].map(([k, t]) => [k, [...t.data]]));
}
