import { IndexError, ValueError } from '../../core/index.js';
import { Module, Parameter } from '../../nn/index.js';

/**
 * Per-adapter containers, keyed by adapter name as PEFT's ModuleDict / ParameterDict, so that
 * state-dict names come out as PEFT writes them in memory (`lora_A.default.weight`,
 * `ia3_l.default`). Unlike nn's ModuleDict they can drop an entry (deleteAdapter).
 */

function checkKey(op: string, key: string): void {
  if (typeof key !== 'string' || key === '' || key.includes('.')) {
    throw new ValueError(`${op}: adapter name must be non-empty without '.', got '${key}'`);
  }
}

export class AdapterDict<M extends Module = Module> extends Module {
  readonly #map = new Map<string, M>();

  get size(): number {
    return this.#map.size;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  get(key: string): M {
    const m = this.#map.get(key);
    if (!m) throw new IndexError(`${this.constructor.name}: no adapter '${key}'`);
    return m;
  }

  set(key: string, module: M): this {
    checkKey(`${this.constructor.name}.set`, key);
    if (!(module instanceof Module)) {
      throw new ValueError(`${this.constructor.name}.set: '${key}' must be a Module`);
    }
    this.#map.set(key, module);
    return this;
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }

  entries(): [string, M][] {
    return [...this.#map.entries()];
  }

  protected override ownMembers(): [string, unknown][] {
    return [...this.#map.entries()];
  }

  protected override setMember(name: string, value: unknown): void {
    this.set(name, value as M);
  }
}

export class ParamDict extends Module {
  readonly #map = new Map<string, Parameter>();

  has(key: string): boolean {
    return this.#map.has(key);
  }

  get(key: string): Parameter {
    const p = this.#map.get(key);
    if (!p) throw new IndexError(`ParamDict: no adapter '${key}'`);
    return p;
  }

  set(key: string, p: Parameter): this {
    checkKey('ParamDict.set', key);
    this.#map.set(key, p);
    return this;
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  keys(): string[] {
    return [...this.#map.keys()];
  }

  protected override ownMembers(): [string, unknown][] {
    return [...this.#map.entries()];
  }

  protected override setMember(name: string, value: unknown): void {
    if (!(value instanceof Parameter)) {
      throw new ValueError(`ParamDict: '${name}' must be a Parameter`);
    }
    this.set(name, value);
  }
}
