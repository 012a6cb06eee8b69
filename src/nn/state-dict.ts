import { formatShape, sameShape, StateDictError, Tensor, ValueError } from '../core/index.js';
import type { Module } from './module.js';

/** A state dict as produced by stateDict() (a Map) or read from a file (a plain object). */
export type StateDictInput = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true). Shape mismatches always are. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A StateDictError that also carries the problems as data, for tools that act on them. */
export class LoadStateDictError extends StateDictError {
  constructor(
    message: string,
    readonly missingKeys: string[],
    readonly unexpectedKeys: string[],
    readonly mismatches: string[],
  ) {
    super(message);
  }
}

export function cloneTensor(t: Tensor): Tensor {
  return new Tensor(t.data.slice(), t.shape);
}

/**
 * torch's state_dict order: each module's own parameters, then its persistent buffers, then its
 * children's entries. A module reachable under two names appears under both, as in torch.
 */
export function collectStateDict(
  root: Module,
  options: { share?: boolean; prefix?: string },
): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const path = new Set<Module>();
  const take = (t: Tensor): Tensor =>
    options.share ? new Tensor(t.data, t.shape) : cloneTensor(t);
  const visit = (m: Module, prefix: string): void => {
    if (path.has(m)) throw new ValueError(`stateDict: module cycle at '${prefix}'`);
    path.add(m);
    const { params, buffers } = m.ownTensors();
    for (const [n, p] of params) out.set(prefix + n, take(p));
    for (const [n, b, persistent] of buffers) if (persistent) out.set(prefix + n, take(b));
    for (const [n, c] of m.namedChildren()) visit(c, `${prefix}${n}.`);
    path.delete(m);
  };
  visit(root, options.prefix ? `${options.prefix}.` : '');
  return out;
}

/**
 * Check every key first, then copy: a failed load leaves the module untouched. Values are copied
 * into the existing tensors (optimizers and tied weights keep pointing at them); float32 <-> float64
 * converts, int <-> float does not.
 */
export function loadStateDictInto(
  owner: string,
  targets: ReadonlyMap<string, Tensor>,
  input: StateDictInput,
  options: LoadStateDictOptions,
): LoadStateDictResult {
  const strict = options.strict ?? true;
  const source: [string, unknown][] =
    input instanceof Map ? [...input.entries()] : Object.entries(input as object);
  const sourceKeys = new Set(source.map(([k]) => k));
  const missingKeys = [...targets.keys()].filter((k) => !sourceKeys.has(k));
  const unexpectedKeys: string[] = [];
  const mismatches: string[] = [];
  const copies: [Tensor, Tensor][] = [];
  for (const [name, value] of source) {
    const target = targets.get(name);
    if (!target) {
      unexpectedKeys.push(name);
      continue;
    }
    if (!(value instanceof Tensor)) {
      mismatches.push(`${name}: expected a Tensor, got ${describe(value)}`);
    } else if (!sameShape(value.shape, target.shape)) {
      mismatches.push(
        `${name}: expected ${formatShape(target.shape)} got ${formatShape(value.shape)}`,
      );
    } else if ((value.dtype === 'int32') !== (target.dtype === 'int32')) {
      mismatches.push(`${name}: expected dtype ${target.dtype} got ${value.dtype}`);
    } else {
      copies.push([target, value]);
    }
  }
  const strictFailure = strict && (missingKeys.length > 0 || unexpectedKeys.length > 0);
  if (mismatches.length > 0 || strictFailure) {
    const lines = [`loadStateDict: error(s) loading the state dict into ${owner}:`];
    if (strict && missingKeys.length > 0) lines.push(section('missing keys', missingKeys));
    if (strict && unexpectedKeys.length > 0) lines.push(section('unexpected keys', unexpectedKeys));
    if (mismatches.length > 0) {
      lines.push(`  shape/dtype mismatches (${mismatches.length}):`);
      for (const m of mismatches) lines.push(`    ${m}`);
    }
    throw new LoadStateDictError(lines.join('\n'), missingKeys, unexpectedKeys, mismatches);
  }
  for (const [target, value] of copies) target.data.set(value.data);
  return { missingKeys, unexpectedKeys };
}

function section(title: string, keys: string[]): string {
  return `  ${title} (${keys.length}): ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
