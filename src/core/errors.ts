/**
 * Typed errors. Each names the op, file or field at fault and the offending values, so a user can
 * act on the message alone. `cause` is kept when one error wraps another.
 */
export class OsmosisError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op: names the op and the shapes. */
export class ShapeError extends OsmosisError {}
/** A dtype an op does not accept, or two dtypes that do not mix. */
export class DTypeError extends OsmosisError {}
/** An index or axis out of range. */
export class IndexError extends OsmosisError {}
/** A bad argument value that is neither a shape, dtype nor index problem. */
export class ValueError extends OsmosisError {}
/** Autograd misuse: backward on a non-scalar without a gradient, on a tensor without a graph, ... */
export class AutogradError extends OsmosisError {}
/** State-dict keys or shapes that do not match a module. */
export class StateDictError extends OsmosisError {}
/** A malformed or unreadable safetensors file. */
export class SafetensorsError extends OsmosisError {}
/** A checkpoint that cannot be written or read back. */
export class CheckpointError extends OsmosisError {}
/** A config that fails its schema. */
export class ConfigError extends OsmosisError {}
/** A NaN or Inf where a finite value is required (a loss, a gradient). */
export class NonFiniteError extends OsmosisError {}
/** A kernel backend that cannot be loaded or used. */
export class BackendError extends OsmosisError {}
