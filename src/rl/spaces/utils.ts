import { ValueError } from '../../core/errors.js';
import { Box, fromJSONNumber } from './box.js';
import { Dict } from './dict.js';
import { Discrete } from './discrete.js';
import { MultiBinary } from './multi-binary.js';
import { MultiDiscrete } from './multi-discrete.js';
import { Space, type SpaceJSON } from './space.js';
import { Tuple, type TupleSpaces } from './tuple.js';

/** Gymnasium's `flatdim`: the length of `flatten(space, x)`. */
export function flatdim(space: Space<unknown>): number {
  if (space instanceof Box) return space.size;
  if (space instanceof Discrete) return space.n;
  if (space instanceof MultiDiscrete) return space.nvec.reduce((a, b) => a + b, 0);
  if (space instanceof MultiBinary) return space.size;
  if (space instanceof Tuple) {
    return (space.spaces as TupleSpaces).reduce((a: number, s) => a + flatdim(s), 0);
  }
  if (space instanceof Dict) return space.keys.reduce((a, k) => a + flatdim(space.spaces[k]), 0);
  throw new ValueError(`flatdim: unsupported space ${space.constructor.name}`);
}

/**
 * Gymnasium's `flatten`: a value as one Float32Array. Discrete values become one-hot vectors and
 * MultiDiscrete values concatenated one-hots, so that a network sees no false ordinal structure.
 */
export function flatten(space: Space<unknown>, x: unknown): Float32Array {
  const out = new Float32Array(flatdim(space));
  flattenInto(space, x, out, 0);
  return out;
}

/** Writes `flatten(space, x)` into `out` at `offset`; returns the offset past it. */
export function flattenInto(
  space: Space<unknown>,
  x: unknown,
  out: Float32Array,
  offset: number,
): number {
  if (!space.contains(x)) {
    throw new ValueError(`flatten: value is not in ${space.toString().slice(0, 200)}`);
  }
  if (space instanceof Box || space instanceof MultiBinary) {
    out.set(x as ArrayLike<number>, offset);
    return offset + space.size;
  }
  if (space instanceof Discrete) {
    out[offset + (x as number) - space.start] = 1;
    return offset + space.n;
  }
  if (space instanceof MultiDiscrete) {
    const v = x as ArrayLike<number>;
    for (let i = 0; i < space.nvec.length; i++) {
      out[offset + v[i] - space.start[i]] = 1;
      offset += space.nvec[i];
    }
    return offset;
  }
  if (space instanceof Tuple) {
    const v = x as unknown[];
    (space.spaces as TupleSpaces).forEach((s, i) => (offset = flattenInto(s, v[i], out, offset)));
    return offset;
  }
  if (space instanceof Dict) {
    const v = x as Record<string, unknown>;
    for (const k of space.keys) offset = flattenInto(space.spaces[k], v[k], out, offset);
    return offset;
  }
  throw new ValueError(`flatten: unsupported space ${space.constructor.name}`);
}

/** Gymnasium's `unflatten`: the inverse of `flatten` (one-hots are read by their argmax). */
export function unflatten<T>(space: Space<T>, flat: ArrayLike<number>): T {
  if (flat.length !== flatdim(space)) {
    throw new ValueError(`unflatten: got ${flat.length} values, expected ${flatdim(space)}`);
  }
  return unflattenAt(space, flat, 0)[0] as T;
}

function unflattenAt(space: Space<unknown>, flat: ArrayLike<number>, o: number): [unknown, number] {
  const slice = (n: number): number[] => Array.from({ length: n }, (_, i) => flat[o + i]);
  if (space instanceof Box) return [Float32Array.from(slice(space.size)), o + space.size];
  if (space instanceof MultiBinary) return [Int8Array.from(slice(space.size)), o + space.size];
  if (space instanceof Discrete) return [space.start + argmax(slice(space.n)), o + space.n];
  if (space instanceof MultiDiscrete) {
    const v = new Int32Array(space.nvec.length);
    for (let i = 0; i < v.length; i++) {
      v[i] = space.start[i] + argmax(slice(space.nvec[i]));
      o += space.nvec[i];
    }
    return [v, o];
  }
  if (space instanceof Tuple) {
    const v: unknown[] = [];
    for (const s of space.spaces) [v[v.length], o] = unflattenAt(s, flat, o);
    return [v, o];
  }
  if (space instanceof Dict) {
    const v: Record<string, unknown> = {};
    for (const k of space.keys) [v[k], o] = unflattenAt(space.spaces[k], flat, o);
    return [v, o];
  }
  throw new ValueError(`unflatten: unsupported space ${space.constructor.name}`);
}

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Gymnasium's `flatten_space`: the Box that holds every flattened value of `space`. */
export function flattenSpace(space: Space<unknown>): Box {
  if (space instanceof Box) return new Box(space.low, space.high, [space.size]);
  const n = flatdim(space);
  if (space instanceof Discrete || space instanceof MultiDiscrete || space instanceof MultiBinary) {
    return new Box(0, 1, [n]);
  }
  const parts = space instanceof Tuple ? [...space.spaces] : [];
  if (space instanceof Dict) for (const k of space.keys) parts.push(space.spaces[k]);
  if (!(space instanceof Tuple || space instanceof Dict)) {
    throw new ValueError(`flattenSpace: unsupported space ${space.constructor.name}`);
  }
  const boxes = parts.map(flattenSpace);
  const low = new Float32Array(n);
  const high = new Float32Array(n);
  let o = 0;
  for (const b of boxes) {
    low.set(b.low, o);
    high.set(b.high, o);
    o += b.size;
  }
  return new Box(low, high, [n]);
}

/** Rebuilds a space from its JSON description (e.g. one sent across a worker boundary). */
export function spaceFromJSON(json: SpaceJSON): Space<unknown> {
  switch (json?.type) {
    case 'Box':
      return new Box(json.low.map(fromJSONNumber), json.high.map(fromJSONNumber), json.shape);
    case 'Discrete':
      return new Discrete(json.n, json.start);
    case 'MultiDiscrete':
      return new MultiDiscrete(json.nvec, json.start);
    case 'MultiBinary':
      return new MultiBinary(json.shape);
    case 'Tuple':
      return new Tuple(json.spaces.map(spaceFromJSON));
    case 'Dict': {
      const spaces: Record<string, Space<unknown>> = {};
      for (const k of Object.keys(json.spaces)) spaces[k] = spaceFromJSON(json.spaces[k]);
      return new Dict(spaces);
    }
    default:
      throw new ValueError(`spaceFromJSON: unknown space type in ${JSON.stringify(json)}`);
  }
}
