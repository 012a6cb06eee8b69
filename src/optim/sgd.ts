import { ValueError, type FloatArray } from '../core/index.js';
import {
  checkFlag,
  checkHyper,
  Optimizer,
  withDefaults,
  type ParamGroup,
  type ParamsInput,
  type StateSpec,
} from './optimizer.js';

export type SGDOptions = {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
};

type SGDState = { momentumBuffer: FloatArray | null };

/**
 * Stochastic gradient descent with PyTorch's exact rules (torch.optim.SGD):
 *   d = g + weightDecay * p
 *   b = d on the first step, else momentum * b + (1 - dampening) * d
 *   d = nesterov ? d + momentum * b : b        (when momentum != 0)
 *   p = p - lr * d
 */
export class SGD extends Optimizer<SGDOptions, SGDState> {
  protected readonly stateSpec: StateSpec = { momentumBuffer: 'optionalBuffer' };

  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super(
      params,
      withDefaults(
        { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
        options,
      ),
    );
  }

  protected validateGroup(h: SGDOptions, where: string): void {
    checkHyper(where, 'lr', h.lr, 0);
    checkHyper(where, 'momentum', h.momentum, 0);
    checkHyper(where, 'dampening', h.dampening, -Infinity);
    checkHyper(where, 'weightDecay', h.weightDecay, 0);
    checkFlag(where, 'nesterov', h.nesterov);
    checkFlag(where, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new ValueError(`${where}: nesterov needs momentum > 0 and dampening 0`);
    }
  }

  protected initState(): SGDState {
    // Allocated on the first update that uses momentum (torch creates it from the first d).
    return { momentumBuffer: null };
  }

  protected updateParam(
    p: FloatArray,
    g: FloatArray,
    st: SGDState,
    h: ParamGroup<SGDOptions>,
  ): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = h;
    const sign = maximize ? -1 : 1;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) p[i] -= lr * (sign * g[i] + weightDecay * p[i]);
      return;
    }
    let buf = st.momentumBuffer;
    const first = buf === null;
    if (buf === null) {
      buf = p instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
      st.momentumBuffer = buf;
    }
    const keep = 1 - dampening;
    for (let i = 0; i < n; i++) {
      const d = sign * g[i] + weightDecay * p[i];
      buf[i] = first ? d : momentum * buf[i] + keep * d;
      p[i] -= lr * (nesterov ? d + momentum * buf[i] : buf[i]);
    }
  }
}
