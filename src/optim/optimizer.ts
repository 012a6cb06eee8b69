import {
  DTypeError,
  isFloat,
  NonFiniteError,
  ShapeError,
  Tensor,
  ValueError,
  zeroGradInPlace,
  type FloatArray,
} from '../core/index.js';
import { restoreState, snapshotState, type OptimizerStateDict } from './state.js';

/** A hyperparameter value: numbers, flags and tuples such as Adam's betas. */
export type HyperValue = number | boolean | readonly number[];

/** A group as the optimizer keeps it: every hyperparameter filled in, params as an array. */
export type ParamGroup<H> = H & { params: Tensor[] };
/** A group as the user passes it: any subset of the hyperparameters overrides the defaults. */
export type ParamGroupInput<H> = Partial<H> & { params: Iterable<Tensor> | Tensor };
export type ParamsInput<H> = Iterable<Tensor> | readonly ParamGroupInput<H>[];

/** A parameter's optimizer state: counters and buffers (allocated once, updated in place). */
export type ParamState = Record<string, number | FloatArray | null>;
/** What each state entry is, for validating loaded state. */
export type StateSpec = Record<string, 'count' | 'buffer' | 'optionalBuffer'>;

export interface ZeroGradOptions {
  /** Drop gradients (true, the default) or zero them in place (false). */
  setToNone?: boolean;
}

/** One tensor's part of zeroGrad; shared with Module.zeroGrad. */
export function zeroGradOf(p: Tensor, setToNone: boolean): void {
  if (setToNone) p.grad = null;
  else if (p.grad) zeroGradInPlace(p.grad);
}

export interface StepOptions {
  /** Check every gradient first; if any is NaN or Inf, change nothing and return false. */
  skipIfNonFinite?: boolean;
  /** Check every gradient first; if any is NaN or Inf, throw NonFiniteError (nothing changed). */
  errorIfNonFinite?: boolean;
}

/**
 * The base of every optimizer (torch.optim.Optimizer): parameter groups with per-group
 * hyperparameters, per-parameter state created on a parameter's first update and updated in place
 * afterwards (step() allocates nothing), and state save/load keyed by parameter index over all
 * groups in order, as torch does. Parameters that do not require grad, or have no gradient, are
 * skipped: a frozen parameter never moves and gets no state.
 *
 * The bare type `Optimizer` (defaults { lr }, ParamState) accepts every optimizer, for trainers.
 */
export abstract class Optimizer<
  H extends object = { lr: number },
  S extends ParamState = ParamState,
> {
  readonly paramGroups: ParamGroup<H>[] = [];
  readonly defaults: Readonly<H>;
  /** Per-parameter state; entries appear on a parameter's first update. */
  readonly state = new Map<Tensor, S>();
  protected abstract readonly stateSpec: StateSpec;

  constructor(params: ParamsInput<H>, defaults: H) {
    this.defaults = Object.freeze({ ...defaults });
    const list = params instanceof Tensor ? [params] : [...params];
    if (list.length === 0) throw new ValueError(`${this.name}: got an empty parameter list`);
    if (list[0] instanceof Tensor) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<H>);
    } else {
      for (const g of list as ParamGroupInput<H>[]) this.addParamGroup(g);
    }
  }

  get name(): string {
    return this.constructor.name;
  }

  /** Check one group's hyperparameters; `where` names the group in messages. */
  protected abstract validateGroup(group: H, where: string): void;
  /** Fresh state for a parameter's first update (zeros; lazy buffers may stay null). */
  protected abstract initState(p: Tensor, group: ParamGroup<H>): S;
  /** Update one parameter in place from its gradient. Must not allocate after the first call. */
  protected abstract updateParam(
    p: FloatArray,
    g: FloatArray,
    state: S,
    group: ParamGroup<H>,
  ): void;

  addParamGroup(input: ParamGroupInput<H>): void {
    const where = `${this.name}: param group ${this.paramGroups.length}`;
    if (input === null || typeof input !== 'object' || !('params' in input)) {
      throw new ValueError(`${where} must be an object with 'params'`);
    }
    const params = input.params instanceof Tensor ? [input.params] : [...input.params];
    const existing = new Set(this.paramGroups.flatMap((g) => g.params));
    const mine = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new ValueError(`${where}: params[${i}] is not a Tensor`);
      if (!isFloat(p.dtype))
        throw new DTypeError(`${where}: params[${i}] is ${p.dtype}, not float`);
      if (!p.isLeaf) throw new ValueError(`${where}: params[${i}] is not a leaf tensor`);
      if (existing.has(p) || mine.has(p)) {
        throw new ValueError(`${where}: params[${i}] appears more than once across groups`);
      }
      mine.add(p);
    });
    const hyper: Record<string, unknown> = { ...this.defaults };
    for (const [k, v] of Object.entries(input)) {
      if (k === 'params') continue;
      if (!Object.hasOwn(this.defaults, k)) {
        throw new ValueError(
          `${where}: unknown hyperparameter '${k}'; known: ${Object.keys(this.defaults).join(', ')}`,
        );
      }
      if (v !== undefined) hyper[k] = Array.isArray(v) ? [...v] : v;
    }
    this.validateGroup(hyper as H, where);
    this.paramGroups.push({ ...(hyper as H), params });
  }

  /**
   * Reset every gradient (torch's zero_grad): drop it (setToNone, the default, as torch 2.x), or
   * fill it with zeros so the next backward accumulates into the same buffer in place, which
   * keeps a training loop from reallocating its gradients every step.
   */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    for (const g of this.paramGroups) for (const p of g.params) zeroGradOf(p, setToNone);
  }

  /**
   * Update every parameter that has a gradient. Returns false (and changes nothing: weights,
   * state and step counts) when skipIfNonFinite finds a NaN/Inf gradient; true otherwise.
   */
  step(options: StepOptions = {}): boolean {
    if (options.skipIfNonFinite || options.errorIfNonFinite) {
      if (!this.gradsAreFinite(options.errorIfNonFinite === true)) return false;
    }
    const groups = this.paramGroups;
    for (let gi = 0; gi < groups.length; gi++) {
      const group = groups[gi];
      const params = group.params;
      for (let pi = 0; pi < params.length; pi++) {
        const p = params[pi];
        const g = p.grad;
        if (g === null || !p.requiresGrad) continue;
        if (g.dtype !== p.dtype || g.size !== p.size) {
          throw new ShapeError(
            `${this.name}.step: group ${gi} param ${pi} is ${p.dtype} [${p.shape}] but its gradient is ${g.dtype} [${g.shape}]`,
          );
        }
        let st = this.state.get(p);
        if (st === undefined) {
          st = this.initState(p, group);
          this.state.set(p, st);
        }
        this.updateParam(p.data as FloatArray, g.data as FloatArray, st, group);
      }
    }
    return true;
  }

  /** True when every gradient the next step would use is finite; optionally throws instead. */
  gradsAreFinite(throwIfNot = false): boolean {
    const groups = this.paramGroups;
    for (let gi = 0; gi < groups.length; gi++) {
      const params = groups[gi].params;
      for (let pi = 0; pi < params.length; pi++) {
        const p = params[pi];
        if (p.grad === null || !p.requiresGrad) continue;
        const d = p.grad.data;
        for (let i = 0; i < d.length; i++) {
          // x - x is 0 for every finite x and NaN for NaN and +-Inf.
          if (d[i] - d[i] !== 0) {
            if (!throwIfNot) return false;
            throw new NonFiniteError(
              `${this.name}.step: gradient of group ${gi} param ${pi} [${p.shape}] has ${d[i]} at element ${i}; no parameter was updated`,
            );
          }
        }
      }
    }
    return true;
  }

  /**
   * Hyperparameters and per-parameter state, keyed by parameter index over all groups in order
   * (torch's layout). Buffers are copies: the result is a snapshot, safe to keep while training on.
   */
  stateDict(): OptimizerStateDict {
    return snapshotState(this.paramGroups, this.state);
  }

  /**
   * Restore hyperparameters and state saved by stateDict() (or read back from a checkpoint) into
   * an optimizer over the same parameters. Everything is validated before anything changes; all
   * problems are reported in one StateDictError.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    restoreState(this.name, stateDict, {
      groups: this.paramGroups,
      defaults: this.defaults as unknown as Record<string, unknown>,
      spec: this.stateSpec,
      state: this.state as Map<Tensor, ParamState>,
      validateGroup: (h, where) => this.validateGroup(h as H, where),
      initState: (p, g) => this.initState(p, g as ParamGroup<H>),
    });
  }
}

/**
 * defaults overridden by the options that are set (an explicit undefined keeps the default); an
 * unknown option is an error, not silently ignored.
 */
export function withDefaults<H extends object>(defaults: H, options: Partial<H>): H {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [k, v] of Object.entries(options ?? {})) {
    if (!Object.hasOwn(defaults, k)) {
      throw new ValueError(
        `unknown optimizer option '${k}'; known: ${Object.keys(defaults).join(', ')}`,
      );
    }
    if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out as H;
}

/** Shared hyperparameter checks: a finite number within [min, max]. */
export function checkHyper(
  where: string,
  name: string,
  value: unknown,
  min: number,
  max = Infinity,
  maxExclusive = false,
): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    (maxExclusive ? value < max : value <= max);
  if (!ok) {
    const range = `[${min}, ${max}${maxExclusive ? ')' : ']'}`;
    throw new ValueError(`${where}: ${name} must be a finite number in ${range}, got ${value}`);
  }
}

export function checkFlag(where: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') {
    throw new ValueError(`${where}: ${name} must be true or false, got ${value}`);
  }
}
