import { Tensor } from '../core/index.js';

/**
 * A Tensor that a Module owns as trainable state (torch.nn.Parameter). It is an ordinary leaf
 * Tensor in every op; the subclass only tells Module which fields are parameters, so that
 * freezing (requiresGrad false) does not make a weight vanish from the state dict.
 */
export class Parameter extends Tensor {
  /** Wrap a tensor's data (shared, not copied) as a parameter. */
  constructor(source: Tensor, requiresGrad = true) {
    super(source.data, source.shape, requiresGrad);
  }
}

/** Wrap a plain tensor as a Parameter (sharing its data); a Parameter is returned as is. */
export function asParameter(t: Tensor, requiresGrad = true): Parameter {
  return t instanceof Parameter ? t : new Parameter(t, requiresGrad);
}
