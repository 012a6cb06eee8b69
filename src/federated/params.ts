/**
 * Parameters as they travel between server and clients: a map from state-dict name to tensor,
 * the same names a Module's stateDict() uses. Helpers never mutate their inputs.
 */
import { Tensor } from '../core/index.js';

export type ParamMap = ReadonlyMap<string, Tensor>;

export function cloneParams(params: ParamMap): Map<string, Tensor> {
  return new Map([...params].map(([k, t]) => [k, new Tensor(t.data.slice(), t.shape)]));
}

/** Bytes on the wire for these tensors: elements × bytes per element, summed (no headers). */
export function paramBytes(params: ParamMap): number {
  let n = 0;
  for (const t of params.values()) n += t.size * t.data.BYTES_PER_ELEMENT;
  return n;
}

/** The entries whose names pass `keep`. */
export function selectParams(
  params: ParamMap,
  keep: (name: string) => boolean,
): Map<string, Tensor> {
  return new Map([...params].filter(([k]) => keep(k)));
}

/** Why `got` cannot be averaged with `expected` (names, shapes, dtypes), or null if it can. */
export function paramMismatch(expected: ParamMap, got: ParamMap): string | null {
  if (!(got instanceof Map)) return 'parameters are not a Map of tensors';
  const missing = [...expected.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !expected.has(k));
  if (missing.length > 0)
    return `missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`;
  if (extra.length > 0)
    return `unexpected ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`;
  for (const [k, e] of expected) {
    const g = got.get(k)!;
    if (!(g instanceof Tensor)) return `'${k}' is not a tensor`;
    if (g.dtype !== e.dtype) return `'${k}' is ${g.dtype}, expected ${e.dtype}`;
    if (g.shape.length !== e.shape.length || g.shape.some((d, i) => d !== e.shape[i])) {
      return `'${k}' has shape [${g.shape.join(', ')}], expected [${e.shape.join(', ')}]`;
    }
  }
  return null;
}

/** The first non-finite value ("'name'[i] = NaN"), or null. */
export function nonFinite(params: ParamMap): string | null {
  for (const [k, t] of params) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return `'${k}'[${i}] = ${d[i]}`;
  }
  return null;
}

/**
 * global + serverLr · Σ_k w_k (θ_k − global), accumulated in float64 and rounded once to each
 * tensor's dtype; serverLr 1 is the plain weighted mean Σ_k w_k θ_k (weights sum to 1).
 */
export function weightedAverage(
  global: ParamMap,
  updates: readonly ParamMap[],
  weights: readonly number[],
  serverLr = 1,
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, g] of global) {
    const acc = new Float64Array(g.size);
    updates.forEach((u, j) => {
      const d = u.get(k)!.data;
      const w = weights[j];
      for (let i = 0; i < acc.length; i++) acc[i] += w * d[i];
    });
    const data = g.data.slice();
    for (let i = 0; i < acc.length; i++) {
      data[i] = serverLr === 1 ? acc[i] : g.data[i] + serverLr * (acc[i] - g.data[i]);
    }
    out.set(k, new Tensor(data, g.shape));
  }
  return out;
}
