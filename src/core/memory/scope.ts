import { Tensor } from '../tensor.js';
import { relocate, release, setAcquireHook, storageOf, type Storage } from './pool.js';

/**
 * JavaScript cannot tell when a tensor's storage is garbage until the collector frees it, which is
 * too late to reuse it. A memory scope is the caller's promise instead (tf.tidy in TensorFlow.js):
 * every buffer an op allocates inside fn goes back to the pool when fn returns, except those of
 * the tensors fn returns (found in arrays and plain objects too) and of tensors passed to keep().
 * A training step wrapped in one allocates nothing once its shapes have been seen.
 *
 * While a wasm backend is active, float32 outputs of at least 16384 elements made inside a scope
 * live in its memory, where its kernels use them without copies (pool.ts, memory/arena.ts); what
 * leaves the outermost scope (returned or keep()) moves to an ordinary buffer first, so nothing
 * outside a scope holds a view of it.
 *
 * Reading a released tensor afterwards throws ReleasedTensorError. A raw `.data` array taken out
 * of a tensor is not protected: copy it (`slice()`) if it must outlive the scope. Storage the
 * scope did not allocate (parameters, optimizer state, `.grad`s, user arrays) is never touched.
 *
 * Run backward() inside the same scope as the forward pass: several ops' backward closures hold
 * raw arrays of their inputs, which a released buffer would feed stale values rather than throw.
 * fn must be synchronous (a returned Promise is not searched for tensors), and a returned view
 * of at most 16 float32 elements at the start of a larger buffer is not seen: copy such a small
 * result (or keep() its source) to take it out of the scope.
 */
const stack: Set<Storage>[] = [];

function track(s: Storage): void {
  stack[stack.length - 1].add(s);
}

export function memoryScope<T>(fn: () => T): T {
  const acquired = new Set<Storage>();
  stack.push(acquired);
  setAcquireHook(track);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    // Buffers stay unreleased (the caller may hold any of them), but none as a view of the arena.
    for (const s of acquired) if (!s.free && s.tensors) relocate(s);
    throw e;
  } finally {
    stack.pop();
    setAcquireHook(stack.length > 0 ? track : null);
  }
  const kept = new Set<Storage>();
  collect(result, kept, 0);
  const parent = stack.length > 0 ? stack[stack.length - 1] : null;
  for (const s of acquired) {
    if (s.free) continue; // backward already gave it back
    if (!kept.has(s)) release(s);
    else if (parent) parent.add(s);
    else if (s.tensors) relocate(s); // leaves the last scope: out of the wasm arena
  }
  return result;
}

/** Exempts t's storage from every enclosing scope: it lives until the collector frees it. */
export function keep<T extends Tensor>(t: T): T {
  const s = storageOf(t.data);
  if (!s) return t;
  for (const scope of stack) scope.delete(s);
  if (s.tensors) relocate(s);
  return t;
}

function collect(value: unknown, into: Set<Storage>, depth: number): void {
  if (value instanceof Tensor) {
    const s = storageOf(value.data);
    if (s) into.add(s);
    return;
  }
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, depth + 1);
  }
}
