import { ValueError } from '../../core/index.js';
import { Conv1D } from '../../models/index.js';
import { Embedding, LayerNorm, Linear, Module } from '../../nn/index.js';
import { AdapterDict } from './dicts.js';
import { matchesTarget } from './targets.js';

/**
 * PEFT's ModulesToSaveWrapper: a module trained in full next to the adapters (a classifier head).
 * Each adapter gets its own copy (`modules_to_save.<name>`); `original_module` stays frozen and
 * runs when no adapter (or a disabled one) is active. Saved under the wrapped module's own name.
 */
export class ModulesToSaveWrapper extends Module {
  original_module: Module;
  modules_to_save = new AdapterDict();
  #active: string | null = null;

  constructor(original: Module) {
    super();
    this.original_module = original;
  }

  addAdapter(name: string): void {
    if (!this.modules_to_save.has(name)) {
      this.modules_to_save.set(name, cloneModule(this.original_module));
    }
    this.original_module.freeze();
  }

  hasAdapter(name: string): boolean {
    return this.modules_to_save.has(name);
  }

  deleteAdapter(name: string): void {
    this.modules_to_save.delete(name);
    if (this.#active === name) this.#active = null;
  }

  /** Use the copy of this adapter, or the original (null, or an adapter without a copy). */
  setActiveAdapter(name: string | null): void {
    this.#active = name !== null && this.modules_to_save.has(name) ? name : null;
  }

  get current(): Module {
    return this.#active === null ? this.original_module : this.modules_to_save.get(this.#active);
  }

  forward(...args: unknown[]): unknown {
    return (this.current as unknown as { forward(...a: unknown[]): unknown }).forward(...args);
  }
}

/**
 * An independent copy of a module (torch's deepcopy in ModulesToSaveWrapper.update), rebuilt
 * from its constructor arguments and filled from its state dict. Modules hold JS-private state,
 * so a field-by-field copy is not possible; the layers modules_to_save is used with (classifier,
 * score, qa_outputs heads: Linear; Conv1D, Embedding, LayerNorm) are covered.
 */
export function cloneModule<M extends Module>(m: M): M {
  let out: Module;
  const dtype = m.parameters()[0]?.dtype === 'float64' ? 'float64' : 'float32';
  if (m instanceof Linear) {
    out = new Linear(m.inFeatures, m.outFeatures, { bias: m.bias !== null, skipInit: true, dtype });
  } else if (m instanceof Conv1D) {
    out = new Conv1D(m.weight.shape[1], m.weight.shape[0]);
    if (dtype === 'float64') out.to('float64');
  } else if (m instanceof Embedding) {
    out = new Embedding(m.numEmbeddings, m.embeddingDim, {
      skipInit: true,
      dtype,
      paddingIdx: m.paddingIdx ?? undefined,
    });
  } else if (m instanceof LayerNorm) {
    out = new LayerNorm(m.normalizedShape, {
      eps: m.eps,
      elementwiseAffine: m.weight !== null,
      bias: m.bias !== null,
    });
    if (dtype === 'float64') out.to('float64');
  } else {
    throw new ValueError(
      `modules_to_save: cannot copy a ${m.constructor.name} (supported: Linear, Conv1D, Embedding, LayerNorm); target its leaf layers instead`,
    );
  }
  out.loadStateDict(m.stateDict());
  out.train(m.training);
  return out as M;
}

/**
 * Wrap the modules of `root` named by modules_to_save (wrappers already there are reused) and
 * give each a copy for `adapter`; returns the wrappers by path.
 */
export function wrapModulesToSave(
  root: Module,
  adapter: string,
  names: readonly string[],
): [string, ModulesToSaveWrapper][] {
  if (names.length === 0) return [];
  const out: [string, ModulesToSaveWrapper][] = [];
  for (const [key, module] of root.namedModules()) {
    if (key === '' || /(^|\.)(modules_to_save|original_module)(\.|$)/.test(key)) continue;
    if (!matchesTarget(key, [...names])) continue;
    let wrapper = module instanceof ModulesToSaveWrapper ? module : null;
    if (!wrapper) {
      wrapper = new ModulesToSaveWrapper(module);
      root.setSubmodule(key, wrapper);
    }
    wrapper.addAdapter(adapter);
    out.push([key, wrapper]);
  }
  return out;
}
