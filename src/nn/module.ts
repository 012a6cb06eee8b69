import { cast, Tensor, ValueError, type FloatDType } from '../core/index.js';
import { zeroGradOf, type ZeroGradOptions } from '../optim/optimizer.js';
import { Parameter, asParameter } from './parameter.js';
import { classifyMembers, type OwnTensors } from './registration.js';
import {
  collectStateDict,
  loadStateDictInto,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type StateDictInput,
} from './state-dict.js';

/**
 * The base of every layer and model (torch.nn.Module).
 *
 * Registration is by field, as in PyTorch: a field holding a Parameter is a parameter, a field
 * holding a Module is a submodule, and a field named in registerBuffer holding a Tensor is a
 * buffer. The field name is the state-dict name, so `this.c_attn = new Linear(...)` inside
 * `h.0.attn` yields `h.0.attn.c_attn.weight`, one-to-one with Hugging Face checkpoints. Fields are
 * read when asked for (not recorded at assignment), so replacing a submodule by plain assignment
 * (what PEFT methods do) just works. Order is JS property order: declared fields in declaration
 * order, then fields first assigned in the constructor; declare them in PyTorch's __init__ order.
 *
 * Two guards against silent mistakes: a field holding a leaf Tensor with requiresGrad that is not
 * a Parameter, and an array of Modules/Parameters (use ModuleList / ParameterList), both throw.
 * To hold a Module or Tensor without registering it, use a JS #private field.
 */
export class Module {
  /** Read by forward passes (Dropout, ...); set through train() / eval(). */
  training = true;
  /** Buffer name -> persistent (saved in the state dict). */
  readonly #buffers = new Map<string, boolean>();

  // ---------------------------------------------------------------- registration

  /** Set `this[name]` to a parameter (a plain Tensor is wrapped, sharing its data). */
  registerParameter(name: string, value: Tensor | null): Parameter | null {
    this.checkNewName(name, 'registerParameter');
    const p = value === null ? null : asParameter(value);
    this.setMember(name, p);
    return p;
  }

  /** Set `this[name]` to non-trainable state (running stats, masks); persistent ones are saved. */
  registerBuffer(name: string, value: Tensor | null, persistent = true): Tensor | null {
    this.checkNewName(name, 'registerBuffer');
    if (value instanceof Parameter) {
      throw new ValueError(`registerBuffer: '${name}' is a Parameter; buffers hold plain Tensors`);
    }
    this.#buffers.set(name, persistent);
    this.setMember(name, value);
    return value;
  }

  /** Set `this[name]` to a submodule (for names computed at run time). */
  registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkNewName(name, 'registerModule');
    this.setMember(name, module);
    return module;
  }

  private checkNewName(name: string, op: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ValueError(`${op}: name must be a non-empty string without '.', got '${name}'`);
    }
    if ((name in this && !Object.hasOwn(this, name)) || name === 'training') {
      throw new ValueError(`${op}: '${name}' would shadow a ${this.constructor.name} method`);
    }
  }

  /** [name, value] of every candidate member; containers override this and setMember. */
  protected ownMembers(): [string, unknown][] {
    const self = this as unknown as Record<string, unknown>;
    return Object.keys(this).map((k) => [k, self[k]]);
  }

  protected setMember(name: string, value: unknown): void {
    (this as unknown as Record<string, unknown>)[name] = value;
  }

  /**
   * This module's own parameters and buffers (not its submodules'), by field name, with each
   * buffer's persistence. The registration rules live in classifyMembers.
   */
  ownTensors(): OwnTensors {
    return classifyMembers(this.constructor.name, this.ownMembers(), this.#buffers, Module);
  }

  // ---------------------------------------------------------------- traversal

  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, v] of this.ownMembers()) {
      if (v instanceof Module && !seen.has(v)) {
        seen.add(v);
        out.push([name, v]);
      }
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all below it, pre-order, each module once (as torch.named_modules). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, path: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [n, c] of m.namedChildren()) visit(c, join(path, n));
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Dotted names in torch's order: each module's own parameters, modules pre-order. */
  namedParameters(options: TraversalOptions = {}): [string, Parameter][] {
    return this.collect(options, (m) => m.ownTensors().params);
  }

  parameters(options: TraversalOptions = {}): Parameter[] {
    return this.namedParameters(options).map(([, p]) => p);
  }

  namedBuffers(options: TraversalOptions = {}): [string, Tensor][] {
    return this.collect(options, (m) => m.ownTensors().buffers.map(([n, t]) => [n, t]));
  }

  buffers(options: TraversalOptions = {}): Tensor[] {
    return this.namedBuffers(options).map(([, t]) => t);
  }

  private collect<T>(options: TraversalOptions, own: (m: Module) => [string, T][]): [string, T][] {
    const { prefix = '', recurse = true, removeDuplicate = true } = options;
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    const out: [string, T][] = [];
    const seen = new Set<T>();
    for (const [path, m] of mods) {
      for (const [n, v] of own(m)) {
        if (removeDuplicate && seen.has(v)) continue;
        seen.add(v);
        out.push([join(path, n), v]);
      }
    }
    return out;
  }

  /** The module at a dotted path ('' is this module), as torch's get_submodule. */
  getSubmodule(path: string): Module {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a cursor walking down the tree
    let cur: Module = this;
    for (const part of path === '' ? [] : path.split('.')) {
      const next = cur.ownMembers().find(([n]) => n === part)?.[1];
      if (!(next instanceof Module)) {
        throw new ValueError(
          `getSubmodule: '${path}': ${cur.constructor.name} has no submodule '${part}'`,
        );
      }
      cur = next;
    }
    return cur;
  }

  /** Replace the submodule at a dotted path (PEFT layer injection). */
  setSubmodule(path: string, module: Module): void {
    const dot = path.lastIndexOf('.');
    const parent = this.getSubmodule(dot < 0 ? '' : path.slice(0, dot));
    const name = path.slice(dot + 1);
    if (!(parent.ownMembers().find(([n]) => n === name)?.[1] instanceof Module)) {
      throw new ValueError(`setSubmodule: '${path}' is not an existing submodule`);
    }
    parent.setMember(name, module);
  }

  // ---------------------------------------------------------------- modes and gradients

  /** Set the training flag of this module and every submodule. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Turn gradients on or off for every parameter; turning off also drops stale gradients. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) {
      p.requiresGrad_(requiresGrad);
      if (!requiresGrad) p.grad = null;
    }
    return this;
  }

  freeze(): this {
    return this.requiresGrad_(false);
  }

  unfreeze(): this {
    return this.requiresGrad_(true);
  }

  /** Reset every parameter's gradient: drop it (the default) or zero it in place (as torch). */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const p of this.parameters()) zeroGradOf(p, setToNone);
  }

  numParameters(options: { trainableOnly?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!options.trainableOnly || p.requiresGrad) n += p.size;
    return n;
  }

  /** Call fn on every submodule (children first) and then on this one, as torch's apply. */
  apply(fn: (m: Module) => void): this {
    const seen = new Set<Module>();
    const visit = (m: Module): void => {
      if (seen.has(m)) return;
      seen.add(m);
      for (const c of m.children()) visit(c);
      fn(m);
    };
    visit(this);
    return this;
  }

  /**
   * Convert every float parameter and buffer to dtype (float64 for gradient checks). Tensors are
   * replaced, not mutated: build optimizers after calling this. Tied weights stay tied.
   */
  to(dtype: FloatDType): this {
    const converted = new Map<Tensor, Tensor>();
    const convert = (t: Tensor, make: (c: Tensor) => Tensor): Tensor => {
      if (t.dtype === dtype || t.dtype === 'int32') return t;
      let out = converted.get(t);
      if (!out) converted.set(t, (out = make(cast(t, dtype))));
      return out;
    };
    for (const [, m] of this.namedModules()) {
      const { params, buffers } = m.ownTensors();
      for (const [n, p] of params) {
        m.setMember(
          n,
          convert(p, (c) => new Parameter(c, p.requiresGrad)),
        );
      }
      for (const [n, b] of buffers)
        m.setMember(
          n,
          convert(b, (c) => c),
        );
    }
    return this;
  }

  // ---------------------------------------------------------------- state dict

  /**
   * Parameters and persistent buffers by dotted name, in torch's order. By default the tensors are
   * copies (a snapshot); `share: true` returns views of the live storage (zero-copy saving) that
   * change as training continues, as torch's state_dict does.
   */
  stateDict(options: { share?: boolean; prefix?: string } = {}): Map<string, Tensor> {
    return collectStateDict(this, options);
  }

  /**
   * Copy values into this module's tensors. Shape (or int/float kind) mismatches always throw;
   * with strict (default) missing and unexpected keys throw too; the error lists every problem.
   * Nothing is copied unless the whole load succeeds.
   */
  loadStateDict(
    stateDict: StateDictInput,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    return loadStateDictInto(
      this.constructor.name,
      this.stateDict({ share: true }),
      stateDict,
      options,
    );
  }

  // ---------------------------------------------------------------- printing

  /** The part between the parentheses of this module's line in toString(). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (kids.length === 0) return `${head})`;
    const lines = kids.map(([n, c]) => `  (${n}): ${c.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

export interface TraversalOptions {
  /** Prepended (with a dot) to every name. */
  prefix?: string;
  /** Include submodules (default true). */
  recurse?: boolean;
  /** List a tensor shared by several modules once, under its first name (default true). */
  removeDuplicate?: boolean;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}
