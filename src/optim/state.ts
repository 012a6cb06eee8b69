import { StateDictError, type FloatArray, type Tensor } from '../core/index.js';
import type { HyperValue, ParamState, StateSpec } from './optimizer.js';

/** A buffer as saved: a typed array, or a plain number array after a JSON round trip. */
export type SavedBuffer = FloatArray | readonly number[];

/**
 * An optimizer's state as torch lays it out: `state` keyed by the parameter's index over all
 * groups in order (only parameters that have been updated), `paramGroups` with every
 * hyperparameter and the indices of the group's parameters. JSON-able apart from typed arrays.
 */
export interface OptimizerStateDict {
  state: Record<string, Record<string, number | SavedBuffer | null>>;
  paramGroups: (Record<string, HyperValue> & { params: number[] })[];
}

interface Target {
  groups: readonly ({ params: Tensor[] } & object)[];
  defaults: Record<string, unknown>;
  spec: StateSpec;
  state: Map<Tensor, ParamState>;
  validateGroup(hyper: Record<string, unknown>, where: string): void;
  initState(p: Tensor, group: object): ParamState;
}

const copyValue = <T>(v: T): T => (Array.isArray(v) ? ([...v] as T) : v);

export function snapshotState(
  groups: readonly ({ params: Tensor[] } & object)[],
  state: ReadonlyMap<Tensor, ParamState>,
): OptimizerStateDict {
  let next = 0;
  const index = new Map<Tensor, number>();
  const paramGroups = groups.map((g) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) if (k !== 'params') out[k] = copyValue(v);
    out.params = g.params.map((p) => {
      index.set(p, next);
      return next++;
    });
    return out as OptimizerStateDict['paramGroups'][number];
  });
  const saved: OptimizerStateDict['state'] = {};
  for (const g of groups) {
    for (const p of g.params) {
      const s = state.get(p);
      if (!s) continue;
      const entry: Record<string, number | FloatArray | null> = {};
      for (const [k, v] of Object.entries(s)) {
        entry[k] = v === null || typeof v === 'number' ? v : v.slice();
      }
      saved[String(index.get(p))] = entry;
    }
  }
  return { state: saved, paramGroups };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function isBuffer(v: unknown, size: number): v is SavedBuffer {
  if (v instanceof Float32Array || v instanceof Float64Array) return v.length === size;
  return Array.isArray(v) && v.length === size && v.every((x) => typeof x === 'number');
}

/** Validate everything, then apply; see Optimizer.loadStateDict. */
export function restoreState(name: string, sd: OptimizerStateDict, t: Target): void {
  const fail = (problems: string[]): never => {
    throw new StateDictError(
      `${name}.loadStateDict: the state does not fit this optimizer:\n  ${problems.join('\n  ')}`,
    );
  };
  if (!isObject(sd) || !Array.isArray(sd.paramGroups) || !isObject(sd.state)) {
    fail(['expected an object { state, paramGroups }']);
  }
  if (sd.paramGroups.length !== t.groups.length) {
    fail([
      `it has ${sd.paramGroups.length} parameter groups, the optimizer has ${t.groups.length}`,
    ]);
  }
  const problems: string[] = [];
  const byId = new Map<number, Tensor>();
  const hypers: Record<string, unknown>[] = [];
  sd.paramGroups.forEach((saved: unknown, gi) => {
    const where = `paramGroups[${gi}]`;
    const group = t.groups[gi];
    const hyper: Record<string, unknown> = {};
    hypers.push(hyper);
    if (!isObject(saved) || !Array.isArray(saved.params)) {
      problems.push(`${where}: expected an object with a params array`);
      return;
    }
    if (saved.params.length !== group.params.length) {
      problems.push(
        `${where}: has ${saved.params.length} parameters, the optimizer's group has ${group.params.length}`,
      );
    } else {
      saved.params.forEach((id: unknown, i) => {
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || byId.has(id)) {
          problems.push(`${where}.params[${i}]: ${id} is not a new non-negative integer index`);
        } else byId.set(id, group.params[i]);
      });
    }
    for (const k of Object.keys(t.defaults)) {
      if (!Object.hasOwn(saved, k)) problems.push(`${where}: missing hyperparameter '${k}'`);
      else hyper[k] = copyValue(saved[k]);
    }
    for (const k of Object.keys(saved)) {
      if (k !== 'params' && !Object.hasOwn(t.defaults, k)) {
        problems.push(`${where}: unknown hyperparameter '${k}'`);
      }
    }
    if (Object.keys(hyper).length === Object.keys(t.defaults).length) {
      try {
        t.validateGroup(hyper, where);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
  });
  const loaded = new Map<Tensor, Record<string, unknown>>();
  for (const [key, entry] of Object.entries(sd.state)) {
    const where = `state['${key}']`;
    const p = byId.get(Number(key));
    if (p === undefined || String(Number(key)) !== key) {
      problems.push(`${where}: no parameter has this index`);
      continue;
    }
    if (!isObject(entry)) {
      problems.push(`${where}: expected an object`);
      continue;
    }
    for (const [k, kind] of Object.entries(t.spec)) {
      const v = entry[k];
      if (!Object.hasOwn(entry, k)) problems.push(`${where}: missing '${k}'`);
      else if (kind === 'count' && !(Number.isSafeInteger(v) && (v as number) >= 0)) {
        problems.push(`${where}.${k}: expected a non-negative integer, got ${v}`);
      } else if (kind !== 'count' && !(kind === 'optionalBuffer' && v === null)) {
        if (!isBuffer(v, p.size)) {
          problems.push(`${where}.${k}: expected ${p.size} numbers for a parameter [${p.shape}]`);
        }
      }
    }
    for (const k of Object.keys(entry)) {
      if (!Object.hasOwn(t.spec, k)) problems.push(`${where}: unexpected entry '${k}'`);
    }
    loaded.set(p, entry);
  }
  if (problems.length > 0) fail(problems);

  t.groups.forEach((g, gi) => Object.assign(g, hypers[gi]));
  for (const g of t.groups) {
    for (const p of g.params) {
      const entry = loaded.get(p);
      if (!entry) {
        t.state.delete(p);
        continue;
      }
      const st = t.state.get(p) ?? t.initState(p, g);
      for (const [k, kind] of Object.entries(t.spec)) {
        const v = entry[k];
        if (kind === 'count' || v === null) {
          st[k] = v as number | null;
          continue;
        }
        let buf = st[k];
        if (!buf || typeof buf === 'number') {
          buf =
            p.data instanceof Float32Array ? new Float32Array(p.size) : new Float64Array(p.size);
          st[k] = buf;
        }
        buf.set(v as SavedBuffer);
      }
      t.state.set(p, st);
    }
  }
}
