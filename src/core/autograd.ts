import { backendFor } from './backend/index.js';
import { allocate, type FloatArray } from './dtype.js';
import { AutogradError, DTypeError, ShapeError } from './errors.js';
import { formatShape, sameShape } from './shape.js';
import { Tensor } from './tensor.js';
import { acquisitions, release, storageOf, type Storage } from './memory/pool.js';

/**
 * The reverse-mode tape. Every op that may need a gradient records a GradNode on its output:
 * the inputs and a closure mapping the output's gradient to one gradient per input (null where
 * an input needs none). backward() walks the graph in reverse topological order.
 */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Must not keep gradOutput, or the tensors it returns, after returning (see backward()). */
  backward(gradOutput: Tensor): (Tensor | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn with gradient recording off (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Run fn with gradient recording on, e.g. inside a noGrad scope (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on these inputs must record a node. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/**
 * Attach a node to `out` if any input requires a gradient. Returns `out` for convenience.
 * `backward` runs with recording off, so it may use ordinary ops.
 */
export function record(
  op: string,
  inputs: readonly Tensor[],
  out: Tensor,
  backward: (gradOutput: Tensor) => (Tensor | null)[],
): Tensor {
  if (needsGrad(inputs)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

/** Hook the ops layer installs so the engine can add gradients without importing ops. */
let addGrads: (a: Tensor, b: Tensor) => Tensor = () => {
  throw new AutogradError('autograd: ops not loaded');
};
let onesLike: (t: Tensor) => Tensor = () => {
  throw new AutogradError('autograd: ops not loaded');
};

export function installGradHelpers(helpers: {
  add: (a: Tensor, b: Tensor) => Tensor;
  onesLike: (t: Tensor) => Tensor;
}): void {
  addGrads = helpers.add;
  onesLike = helpers.onesLike;
}

/**
 * Gradients zero-filled by zeroGrad({ setToNone: false }) since anything last added into them.
 * backward copies the first gradient into such a buffer (TypedArray.set, memcpy speed) instead
 * of adding it to zeros: a JS add loop over gpt-step's 3.3M gradient floats took 6.5-7 ms of CPU
 * per step, the copy 0.8. Only zeroGradInPlace marks a buffer; backward unmarks it on use.
 */
const knownZero = new WeakSet<Tensor>();

/**
 * Zero a gradient in place (Optimizer/Module zeroGrad with setToNone false). Code that writes
 * into grad.data afterwards and before the next backward must not rely on backward adding to it.
 */
export function zeroGradInPlace(grad: Tensor): void {
  grad.data.fill(0);
  knownZero.add(grad);
}

/**
 * Accumulate d(root)/d(leaf) into every leaf that requires a gradient. A non-scalar root needs an
 * explicit gradient of its own shape (the vector in the vector-Jacobian product).
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad) {
    throw new AutogradError(
      `backward: ${root} does not require grad (no input on its path has requiresGrad set)`,
    );
  }
  const pool = new GradBuffers();
  let seed: Tensor;
  if (gradient) {
    if (!sameShape(gradient.shape, root.shape)) {
      throw new ShapeError(
        `backward: gradient shape ${formatShape(gradient.shape)} does not match tensor shape ${formatShape(root.shape)}`,
      );
    }
    if (gradient.dtype !== root.dtype) {
      throw new DTypeError(
        `backward: gradient dtype ${gradient.dtype} does not match tensor dtype ${root.dtype}`,
      );
    }
    seed = gradient;
  } else {
    if (root.size !== 1) {
      throw new AutogradError(
        `backward: gradient can be implicit only for scalar outputs; got shape ${formatShape(root.shape)}`,
      );
    }
    seed = onesLike(root);
  }

  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  pool.hold(seed);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      pool.drop(g);
      if (t.gradFn === null || t.retainsGrad) {
        // A backward may pass its incoming gradient through unchanged (add, reshape), so g can be
        // the very tensor another leaf receives, or the caller's seed: store a private copy so an
        // in-place update of one .grad (clipping, an optimizer) cannot reach another. An existing
        // .grad of the same shape and dtype is accumulated in place, as torch's AccumulateGrad
        // does: with zeroGrad({ setToNone: false }) a training loop keeps its gradient buffers.
        if (t.grad === null) {
          const copy = allocate(g.dtype, g.size);
          copy.set(g.data);
          t.grad = new Tensor(copy, g.shape);
        } else if (t.grad.dtype === g.dtype && sameShape(t.grad.shape, g.shape)) {
          // A .grad that zeroGrad just zeroed takes g by copy. Otherwise .grad += g as the one-row
          // case of the backend's column-sum kernel: the same float32 additions as a js loop (same
          // bits), but SIMD in wasm. The loop cost 4.5 us per 4096 floats (8 us once float64
          // gradients had made it polymorphic); the kernel ~1 us.
          const gd = g.data as FloatArray;
          if (knownZero.delete(t.grad)) t.grad.data.set(gd);
          else backendFor(g.dtype).addColumnSums(gd, t.grad.data as FloatArray, 1, gd.length);
        } else {
          knownZero.delete(t.grad);
          t.grad = pool.escape(addGrads(t.grad, g));
        }
      }
      const node = t.gradFn;
      if (node) {
        const inputGrads = node.backward(g);
        // Buffers are recycled only after every input is handled: a backward may hand the same
        // buffer (often g itself) to several inputs, e.g. add returns [g, g], and an input that
        // already holds a gradient must not free it before the next input takes it.
        const spent: Tensor[] = [];
        for (let j = 0; j < node.inputs.length; j++) {
          const input = node.inputs[j];
          const ig = inputGrads[j];
          if (!ig) continue;
          if (!input.requiresGrad) {
            spent.push(ig);
            continue;
          }
          if (!sameShape(ig.shape, input.shape)) {
            throw new AutogradError(
              `backward of '${node.op}': gradient for input ${j} has shape ${formatShape(ig.shape)}, expected ${formatShape(input.shape)}`,
            );
          }
          const acc = grads.get(input);
          const sum = acc ? addGrads(acc, ig) : ig;
          if (acc) pool.drop(acc);
          grads.set(input, sum);
          pool.hold(sum);
          if (acc) spent.push(acc, ig);
        }
        for (const u of spent) pool.recycle(u);
      }
      pool.recycle(g);
    }
  } finally {
    gradEnabled = prev;
  }
}

/**
 * The gradient buffers one backward pass allocates belong to it alone (GradNode.backward keeps
 * none), so each goes back to the memory pool as soon as no pending gradient shares it: the next
 * op's gradient reuses it while it is still in cache, and a pass needs about as much memory as
 * its widest layer rather than all of them. Buffers allocated before the pass (activations, the
 * caller's gradient) and those stored as a .grad are never released here.
 */
class GradBuffers {
  private readonly since = acquisitions();
  private readonly pending = new Map<Storage, number>();
  private readonly kept = new Set<Storage>();

  /** The pooled storage under t when this pass allocated it, else null. */
  private own(t: Tensor): Storage | null {
    if (t.released) return null;
    const s = storageOf(t.data);
    return s !== null && s.serial > this.since && !s.free ? s : null;
  }

  hold(t: Tensor): void {
    const s = this.own(t);
    if (s) this.pending.set(s, (this.pending.get(s) ?? 0) + 1);
  }

  drop(t: Tensor): void {
    const s = this.own(t);
    if (s) this.pending.set(s, this.pending.get(s)! - 1);
  }

  escape(t: Tensor): Tensor {
    const s = this.own(t);
    if (s) this.kept.add(s);
    return t;
  }

  recycle(t: Tensor): void {
    const s = this.own(t);
    if (s && !this.kept.has(s) && !this.pending.get(s)) {
      this.pending.delete(s);
      release(s);
    }
  }
}

/** Tensors reachable from root, each after all of its inputs (iterative DFS: graphs get deep). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (next < inputs.length) {
      top[1] = next + 1;
      const child = inputs[next];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * A user-defined differentiable op (torch.autograd.Function): forward computes the output from
 * plain tensors and may stash anything in ctx; backward maps the output gradient to one gradient
 * per input. Fused ops are written this way and are first-class in the graph.
 */
export interface CustomFunction<Ctx> {
  name: string;
  forward(ctx: Ctx, ...inputs: Tensor[]): Tensor;
  /**
   * Must not keep gradOutput or the tensors it returns (e.g. memoized in ctx): backward() hands
   * their buffers back to the memory pool once it has used them.
   */
  backward(ctx: Ctx, gradOutput: Tensor): (Tensor | null)[];
}

export function customOp<Ctx extends object>(
  fn: CustomFunction<Ctx>,
): (...inputs: Tensor[]) => Tensor {
  return (...inputs: Tensor[]): Tensor => {
    const ctx = {} as Ctx;
    const out = noGrad(() => fn.forward(ctx, ...inputs));
    if (out.gradFn !== null || out.requiresGrad) {
      // forward ran under noGrad, so a graph here means it returned one of its inputs as is.
      throw new AutogradError(
        `customOp '${fn.name}': forward must return a new tensor, not an input`,
      );
    }
    return record(fn.name, inputs, out, (g) => fn.backward(ctx, g));
  };
}
