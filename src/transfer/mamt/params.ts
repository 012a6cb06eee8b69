/**
 * A module's parameters as one flat float64 vector. The meta-learners (meta.ts) are written over
 * flat vectors, so the same code updates a linear-regression toy in a test and a policy network
 * in an env; this file is the bridge between the two views.
 */
import { ShapeError } from '../../core/index.js';
import { Linear, type Module } from '../../nn/index.js';

/** Where each named parameter lives in the flat vector (module order). */
export interface ParamLayout {
  names: string[];
  sizes: number[];
  offsets: number[];
  size: number;
}

export function layoutOf(module: Module): ParamLayout {
  const names: string[] = [];
  const sizes: number[] = [];
  const offsets: number[] = [];
  let size = 0;
  for (const [name, p] of module.namedParameters()) {
    names.push(name);
    sizes.push(p.size);
    offsets.push(size);
    size += p.size;
  }
  return { names, sizes, offsets, size };
}

/** Copy the parameters out as one vector. */
export function readParams(module: Module): Float64Array {
  const params = module.parameters();
  const out = new Float64Array(params.reduce((n, p) => n + p.size, 0));
  let o = 0;
  for (const p of params) {
    out.set(p.data as ArrayLike<number>, o);
    o += p.size;
  }
  return out;
}

/** Copy a vector into the parameters (rounded to their dtype). */
export function writeParams(module: Module, flat: ArrayLike<number>): void {
  const params = module.parameters();
  const size = params.reduce((n, p) => n + p.size, 0);
  if (flat.length !== size) {
    throw new ShapeError(
      `writeParams: ${module.constructor.name} has ${size} parameters, got a vector of ${flat.length}`,
    );
  }
  let o = 0;
  for (const p of params) {
    const d = p.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) d[i] = flat[o + i];
    o += p.size;
  }
}

/** The parameters' gradients as one vector (zeros where a parameter has none). */
export function readGrads(module: Module): Float64Array {
  const params = module.parameters();
  const out = new Float64Array(params.reduce((n, p) => n + p.size, 0));
  let o = 0;
  for (const p of params) {
    if (p.grad) out.set(p.grad.data as ArrayLike<number>, o);
    o += p.size;
  }
  return out;
}

/**
 * 1 for the parameters of the module's last Linear layer (the "head"), 0 elsewhere: the part
 * ANIL adapts in its inner loop (Raghu et al. 2020).
 */
export function headMask(module: Module): Uint8Array {
  const layout = layoutOf(module);
  const linears = module.namedModules().filter(([, m]) => m instanceof Linear);
  if (linears.length === 0)
    throw new ShapeError(`headMask: ${module.constructor.name} has no Linear`);
  const [prefix] = linears[linears.length - 1];
  const mask = new Uint8Array(layout.size);
  layout.names.forEach((name, i) => {
    const own = prefix === '' ? !name.includes('.') : name.startsWith(`${prefix}.`);
    if (own) mask.fill(1, layout.offsets[i], layout.offsets[i] + layout.sizes[i]);
  });
  return mask;
}
