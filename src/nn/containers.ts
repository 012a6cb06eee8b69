import { IndexError, Tensor, ValueError } from '../core/index.js';
import { Module } from './module.js';
import { Parameter, asParameter } from './parameter.js';

/** A module with a single-tensor forward, which Sequential chains. */
export interface UnaryModule extends Module {
  forward(x: Tensor): Tensor;
}

function checkIndex(op: string, i: number, length: number): number {
  const j = i < 0 ? i + length : i;
  if (!Number.isInteger(j) || j < 0 || j >= length) {
    throw new IndexError(`${op}: index ${i} is out of range for length ${length}`);
  }
  return j;
}

/** Submodules named '0', '1', ... (torch.nn.ModuleList): `h.0.attn...`. */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  protected readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    return this.items.length;
  }

  /** The module at index i (negative counts from the end). */
  get(i: number): M {
    return this.items[checkIndex(`${this.constructor.name}.get`, i, this.items.length)];
  }

  append(module: M): this {
    if (!(module instanceof Module)) {
      throw new ValueError(`${this.constructor.name}.append: expected a Module, got ${module}`);
    }
    this.items.push(module);
    return this;
  }

  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  protected override ownMembers(): [string, unknown][] {
    return this.items.map((m, i) => [String(i), m]);
  }

  protected override setMember(name: string, value: unknown): void {
    const i = Number(name);
    if (!(value instanceof Module) || String(i) !== name) {
      throw new ValueError(`${this.constructor.name}: cannot set member '${name}' to ${value}`);
    }
    this.items[checkIndex(`${this.constructor.name}.set`, i, this.items.length)] = value as M;
  }
}

/** Modules applied in order (torch.nn.Sequential); names '0', '1', ... as in torch checkpoints. */
export class Sequential<M extends UnaryModule = UnaryModule> extends ModuleList<M> {
  constructor(...modules: M[]) {
    super(modules);
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.items) h = m.forward(h);
    return h;
  }
}

/** Submodules by string key, in insertion order (torch.nn.ModuleDict). */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly map = new Map<string, M>();

  constructor(modules: Iterable<[string, M]> | Readonly<Record<string, M>> = []) {
    super();
    const entries = Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const [k, m] of entries as Iterable<[string, M]>) this.set(k, m);
  }

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): M {
    const m = this.map.get(key);
    if (!m) throw new IndexError(`ModuleDict.get: no module '${key}'`);
    return m;
  }

  set(key: string, module: M): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new ValueError(`ModuleDict.set: key must be non-empty without '.', got '${key}'`);
    }
    if (!(module instanceof Module)) {
      throw new ValueError(`ModuleDict.set: '${key}' must be a Module, got ${module}`);
    }
    this.map.set(key, module);
    return this;
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  entries(): [string, M][] {
    return [...this.map.entries()];
  }

  protected override ownMembers(): [string, unknown][] {
    return [...this.map.entries()];
  }

  protected override setMember(name: string, value: unknown): void {
    this.set(name, value as M);
  }
}

/** Parameters named '0', '1', ... (torch.nn.ParameterList), e.g. per-layer prompt tensors. */
export class ParameterList extends Module implements Iterable<Parameter> {
  private readonly items: Parameter[] = [];

  constructor(params: Iterable<Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }

  get length(): number {
    return this.items.length;
  }

  get(i: number): Parameter {
    return this.items[checkIndex('ParameterList.get', i, this.items.length)];
  }

  /** Append a parameter (a plain Tensor is wrapped, sharing its data). */
  append(t: Tensor): this {
    this.items.push(asParameter(t));
    return this;
  }

  [Symbol.iterator](): Iterator<Parameter> {
    return this.items[Symbol.iterator]();
  }

  protected override ownMembers(): [string, unknown][] {
    return this.items.map((p, i) => [String(i), p]);
  }

  protected override setMember(name: string, value: unknown): void {
    const i = checkIndex('ParameterList.set', Number(name), this.items.length);
    if (!(value instanceof Parameter)) {
      throw new ValueError(`ParameterList: member '${name}' must be a Parameter`);
    }
    this.items[i] = value;
  }
}
