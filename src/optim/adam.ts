import {
  backendFor,
  residentFloat32,
  ValueError,
  type FloatArray,
  type Tensor,
} from '../core/index.js';
import {
  checkFlag,
  checkHyper,
  Optimizer,
  withDefaults,
  type ParamGroup,
  type ParamsInput,
  type StateSpec,
} from './optimizer.js';

export type AdamOptions = {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

type AdamState = {
  step: number;
  expAvg: FloatArray;
  expAvgSq: FloatArray;
  maxExpAvgSq: FloatArray | null;
};

type KernelArgs = Parameters<ReturnType<typeof backendFor>['adamStep']>[4];

/** State in the backend's memory when it fits (float32), where its adamStep runs in place. */
const allocLike = (p: FloatArray | Tensor): FloatArray => {
  const d = 'data' in p ? p.data : p;
  return d instanceof Float32Array ? residentFloat32(d.length) : new Float64Array(d.length);
};

/**
 * Adam with PyTorch's exact rules (torch.optim.Adam), L2 weight decay added to the gradient:
 *   g += weightDecay * p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²
 *   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * amsgrad uses max over time of v. The update runs in the backend's fused adamStep kernel (so the
 * WASM backend accelerates it); amsgrad and maximize take a reference loop.
 */
export class Adam extends Optimizer<AdamOptions, AdamState> {
  protected readonly stateSpec: StateSpec = {
    step: 'count',
    expAvg: 'buffer',
    expAvgSq: 'buffer',
    maxExpAvgSq: 'optionalBuffer',
  };
  /** AdamW: decay the weights directly (p *= 1 - lr * weightDecay) instead of the gradient. */
  protected readonly decoupled: boolean = false;
  /** Reused for every kernel call: step() allocates nothing. */
  private readonly args: KernelArgs = {
    lr: 0,
    beta1: 0,
    beta2: 0,
    eps: 0,
    weightDecay: 0,
    decoupled: false,
    step: 0,
  };

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(
      params,
      withDefaults(
        {
          lr: 1e-3,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: false,
          maximize: false,
        },
        options,
      ),
    );
  }

  protected validateGroup(h: AdamOptions, where: string): void {
    checkHyper(where, 'lr', h.lr, 0);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) {
      throw new ValueError(`${where}: betas must be a pair [beta1, beta2], got ${h.betas}`);
    }
    checkHyper(where, 'betas[0]', h.betas[0], 0, 1, true);
    checkHyper(where, 'betas[1]', h.betas[1], 0, 1, true);
    checkHyper(where, 'eps', h.eps, 0);
    checkHyper(where, 'weightDecay', h.weightDecay, 0);
    checkFlag(where, 'amsgrad', h.amsgrad);
    checkFlag(where, 'maximize', h.maximize);
  }

  protected initState(p: Tensor, group: ParamGroup<AdamOptions>): AdamState {
    return {
      step: 0,
      expAvg: allocLike(p),
      expAvgSq: allocLike(p),
      maxExpAvgSq: group.amsgrad ? allocLike(p) : null,
    };
  }

  protected updateParam(
    p: FloatArray,
    g: FloatArray,
    st: AdamState,
    h: ParamGroup<AdamOptions>,
  ): void {
    st.step += 1;
    if (!h.amsgrad && !h.maximize) {
      const a = this.args;
      a.lr = h.lr;
      a.beta1 = h.betas[0];
      a.beta2 = h.betas[1];
      a.eps = h.eps;
      a.weightDecay = h.weightDecay;
      a.decoupled = this.decoupled;
      a.step = st.step;
      backendFor(p instanceof Float32Array ? 'float32' : 'float64').adamStep(
        p,
        g,
        st.expAvg,
        st.expAvgSq,
        a,
      );
      return;
    }
    if (h.amsgrad && st.maxExpAvgSq === null) st.maxExpAvgSq = allocLike(p);
    this.referenceStep(p, g, st, h);
  }

  /** torch's single-tensor Adam, term for term. */
  private referenceStep(p: FloatArray, g: FloatArray, st: AdamState, h: AdamOptions): void {
    const { lr, eps, weightDecay, amsgrad, maximize } = h;
    const [beta1, beta2] = h.betas;
    const bc1 = 1 - Math.pow(beta1, st.step);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, st.step));
    const stepSize = lr / bc1;
    const decay = this.decoupled ? 1 - lr * weightDecay : 1;
    const l2 = this.decoupled ? 0 : weightDecay;
    const m = st.expAvg;
    const v = st.expAvgSq;
    const vmax = st.maxExpAvgSq;
    for (let i = 0; i < p.length; i++) {
      const gi = (maximize ? -g[i] : g[i]) + l2 * p[i];
      p[i] *= decay;
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      let vi = v[i];
      if (amsgrad) {
        if (vmax![i] < vi) vmax![i] = vi;
        vi = vmax![i];
      }
      p[i] -= (stepSize * m[i]) / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  }
}

/**
 * AdamW (torch.optim.AdamW): Adam with decoupled weight decay, p *= 1 - lr * weightDecay before
 * the Adam update; weightDecay defaults to 0.01.
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, { ...options, weightDecay: options.weightDecay ?? 1e-2 });
  }
}
