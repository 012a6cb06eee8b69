import { Tensor, ValueError } from '../core/index.js';
import { Parameter } from './parameter.js';

export interface OwnTensors {
  params: [string, Parameter][];
  /** [name, tensor, persistent] */
  buffers: [string, Tensor, boolean][];
}

/**
 * The registration rules, in one place: a Parameter field is a parameter; a Tensor field named in
 * registerBuffer is a buffer; anything else is ignored, except two likely mistakes that would
 * silently leave weights untrained and unsaved, which throw: a leaf Tensor with requiresGrad that
 * is not a Parameter, and an array holding Modules or Parameters.
 */
export function classifyMembers(
  owner: string,
  members: readonly [string, unknown][],
  bufferNames: ReadonlyMap<string, boolean>,
  moduleClass: abstract new (...args: never[]) => object,
): OwnTensors {
  const params: [string, Parameter][] = [];
  const buffers: [string, Tensor, boolean][] = [];
  for (const [name, v] of members) {
    if (v instanceof Parameter) params.push([name, v]);
    else if (v instanceof Tensor) {
      const persistent = bufferNames.get(name);
      if (persistent !== undefined) buffers.push([name, v, persistent]);
      else if (v.requiresGrad && v.isLeaf) {
        throw new ValueError(
          `${owner}.${name} is a Tensor with requiresGrad but not a Parameter: wrap it (new Parameter(t)) or use registerParameter, or it is neither trained nor saved`,
        );
      }
    } else if (
      Array.isArray(v) &&
      v.some((x) => x instanceof moduleClass || x instanceof Parameter)
    ) {
      throw new ValueError(
        `${owner}.${name} is an array of Modules/Parameters, which are not registered; use ModuleList or ParameterList`,
      );
    }
  }
  return { params, buffers };
}
