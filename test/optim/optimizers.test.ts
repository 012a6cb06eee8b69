import { describe, expect, it } from 'vitest';
import {
  Adam,
  AdamW,
  Generator,
  Linear,
  MLP,
  mseLoss,
  mul,
  NonFiniteError,
  SGD,
  Tensor,
  ValueError,
  randn,
  sum,
  tensor,
  type Optimizer,
} from '../../src/index.js';

const f64 = (v: number[]): Tensor => tensor(v, undefined, { dtype: 'float64', requiresGrad: true });
const G = [
  [0.5, 1],
  [-1, 0.25],
  [2, -0.5],
];

/** Run steps with fixed gradients on p = [1, -2]; returns the parameter after each step. */
function run(make: (p: Tensor) => Optimizer, steps = G.length): number[][] {
  const p = f64([1, -2]);
  const opt = make(p);
  const out: number[][] = [];
  for (let s = 0; s < steps; s++) {
    p.grad = tensor(G[s], undefined, { dtype: 'float64' });
    opt.step();
    out.push([...p.data]);
  }
  return out;
}

const near = (a: number[][], b: number[][], digits = 14): void => {
  expect(a.length).toBe(b.length);
  a.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(b[i][j], digits)));
};

describe('SGD matches PyTorch (values worked by hand from torch.optim.SGD)', () => {
  it('plain', () => {
    near(
      run((p) => new SGD([p], { lr: 0.1 }), 2),
      [
        [0.95, -2.1],
        [1.05, -2.125],
      ],
    );
  });

  it('momentum 0.9: buf = g on step 1, then 0.9 buf + g', () => {
    near(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), 2),
      [
        [0.95, -2.1],
        [1.005, -2.215],
      ],
    );
  });

  it('momentum with dampening 0.5', () => {
    near(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.5 }), 2),
      [
        [0.95, -2.1],
        [0.955, -2.2025],
      ],
    );
  });

  it('nesterov: d = g + 0.9 buf', () => {
    near(
      run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), 2),
      [
        [0.905, -2.19],
        [1.0545, -2.3185],
      ],
    );
  });

  it('weight decay adds wd * p to the gradient', () => {
    near(
      run((p) => new SGD([p], { lr: 0.1, weightDecay: 0.1 }), 1),
      [[0.94, -2.08]],
    );
  });

  it('maximize ascends', () => {
    near(
      run((p) => new SGD([p], { lr: 0.1, maximize: true }), 1),
      [[1.05, -1.9]],
    );
  });

  it('validates hyperparameters', () => {
    const p = f64([1]);
    expect(() => new SGD([p], { lr: -1 })).toThrow(ValueError);
    expect(() => new SGD([p], { nesterov: true })).toThrow(/nesterov/);
    expect(() => new SGD([p], { lr: 0.1, foo: 1 } as never)).toThrow(
      /unknown optimizer option 'foo'/,
    );
    expect(() => new SGD([])).toThrow(/empty/);
    expect(() => new SGD([p, p])).toThrow(/more than once/);
  });
});

interface AdamRef {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  amsgrad?: boolean;
}

/** torch.optim._functional single-tensor Adam/AdamW, term for term, in float64. */
function torchAdam(o: AdamRef, steps = G.length): number[][] {
  const p = [1, -2];
  const m = [0, 0];
  const v = [0, 0];
  const vmax = [0, 0];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < 2; i++) {
      let g = G[t - 1][i];
      if (o.decoupled) p[i] *= 1 - o.lr * o.weightDecay;
      else g = g + o.weightDecay * p[i];
      m[i] = m[i] + (g - m[i]) * (1 - o.betas[0]); // exp_avg.lerp_(grad, 1 - beta1)
      v[i] = v[i] * o.betas[1] + (1 - o.betas[1]) * g * g;
      const stepSize = o.lr / (1 - o.betas[0] ** t);
      const bc2Sqrt = Math.sqrt(1 - o.betas[1] ** t);
      vmax[i] = Math.max(vmax[i], v[i]);
      const denom = Math.sqrt(o.amsgrad ? vmax[i] : v[i]) / bc2Sqrt + o.eps;
      p[i] = p[i] + -stepSize * (m[i] / denom);
    }
    out.push([...p]);
  }
  return out;
}

describe('Adam / AdamW match PyTorch', () => {
  const base = { lr: 0.01, betas: [0.9, 0.999] as [number, number], eps: 1e-8 };

  it('first Adam step moves each weight by lr * g / (|g| + eps)', () => {
    const got = run((p) => new Adam([p], { lr: 0.01 }), 1);
    near(got, [[1 - (0.01 * 0.5) / (0.5 + 1e-8), -2 - (0.01 * 1) / (1 + 1e-8)]], 15);
  });

  it('Adam, three steps', () => {
    near(
      run((p) => new Adam([p], { lr: 0.01 })),
      torchAdam({ ...base, weightDecay: 0, decoupled: false }),
    );
  });

  it('Adam with L2 weight decay and other betas', () => {
    const o = { ...base, betas: [0.8, 0.99] as [number, number], weightDecay: 0.1 };
    near(
      run((p) => new Adam([p], o)),
      torchAdam({ ...o, decoupled: false }),
    );
  });

  it('AdamW decays the weights directly (default weightDecay 0.01)', () => {
    near(
      run((p) => new AdamW([p], { lr: 0.01 })),
      torchAdam({ ...base, weightDecay: 0.01, decoupled: true }),
    );
    near(
      run((p) => new AdamW([p], { lr: 0.01, weightDecay: 0.5 })),
      torchAdam({ ...base, weightDecay: 0.5, decoupled: true }),
    );
    const first = run((p) => new AdamW([p], { lr: 0.01, weightDecay: 0.1 }), 1)[0];
    expect(first[0]).toBeCloseTo(1 * (1 - 0.001) - (0.01 * 0.5) / (0.5 + 1e-8), 15);
  });

  it('amsgrad', () => {
    near(
      run((p) => new Adam([p], { lr: 0.01, amsgrad: true })),
      torchAdam({ ...base, weightDecay: 0, decoupled: false, amsgrad: true }),
    );
  });

  it('float32 parameters follow the float64 reference closely', () => {
    const p = tensor([1, -2], undefined, { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.01 });
    for (const g of G) {
      p.grad = tensor(g);
      opt.step();
    }
    const ref = torchAdam({ ...base, weightDecay: 0, decoupled: false }).at(-1)!;
    expect(p.data[0]).toBeCloseTo(ref[0], 6);
    expect(p.data[1]).toBeCloseTo(ref[1], 6);
  });

  it('allocates state once: buffers are the same objects step after step', () => {
    const p = f64([1, -2]);
    const opt = new Adam([p]);
    p.grad = tensor(G[0], undefined, { dtype: 'float64' });
    opt.step();
    const st = opt.state.get(p)!;
    const { expAvg, expAvgSq } = st;
    opt.step();
    opt.step();
    expect(opt.state.get(p)).toBe(st);
    expect(st.expAvg).toBe(expAvg);
    expect(st.expAvgSq).toBe(expAvgSq);
    expect(st.step).toBe(3);
  });
});

describe('parameter groups', () => {
  it('each group uses its own hyperparameters; defaults fill the rest', () => {
    const a = f64([1]);
    const b = f64([1]);
    const c = f64([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1, momentum: 0 });
    opt.addParamGroup({ params: [c], lr: 1, weightDecay: 1 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5, 1]);
    for (const t of [a, b, c]) t.grad = tensor([1], undefined, { dtype: 'float64' });
    opt.step();
    expect(a.data[0]).toBeCloseTo(0.9, 15);
    expect(b.data[0]).toBeCloseTo(0.5, 15);
    expect(c.data[0]).toBeCloseTo(-1, 15);
    expect(() => opt.addParamGroup({ params: [a] })).toThrow(/more than once/);
    expect(() => opt.addParamGroup({ params: [f64([1])], betas: [0.9, 0.9] } as never)).toThrow(
      /unknown hyperparameter 'betas'/,
    );
  });

  it('zeroGrad drops every gradient', () => {
    const a = f64([1]);
    const opt = new SGD([a]);
    a.grad = tensor([1], undefined, { dtype: 'float64' });
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('zeroGrad({ setToNone: false }) zeroes in place and backward accumulates into the buffer', () => {
    const a = f64([1, 2]);
    const opt = new SGD([a]);
    sum(mul(a, a)).backward();
    const grad = a.grad!;
    opt.zeroGrad({ setToNone: false });
    expect(a.grad).toBe(grad);
    expect(Array.from(grad.data)).toEqual([0, 0]);
    sum(mul(a, a)).backward();
    expect(a.grad).toBe(grad);
    expect(Array.from(grad.data)).toEqual([2, 4]);
  });
});

describe('frozen parameters', () => {
  it('are not updated and get no state, even with a stale gradient', () => {
    const rng = new Generator(0);
    const net = new MLP([3, 4, 1], { rng });
    const opt = new Adam(net.parameters(), { lr: 0.1 });
    const first = net.get(0) as Linear;
    const last = net.get(2) as Linear;
    const frozenBefore = first.weight.data.slice();
    const lastBefore = last.weight.data.slice();
    net.get(0).freeze();
    mseLoss(net.forward(randn([8, 3], rng)), randn([8, 1], rng)).backward();
    expect(first.weight.grad).toBeNull();
    opt.step();
    expect(first.weight.data).toEqual(frozenBefore);
    expect(opt.state.has(first.weight)).toBe(false);
    expect(last.weight.data).not.toEqual(lastBefore);
    // a gradient left from before freezing is ignored too
    first.weight.grad = tensor(new Float32Array(first.weight.size).fill(1), first.weight.shape);
    first.weight.requiresGrad_(false);
    opt.step();
    expect(first.weight.data).toEqual(frozenBefore);
  });
});

describe('non-finite gradients', () => {
  function setup(): { net: MLP; opt: Adam; x: Tensor; y: Tensor } {
    const rng = new Generator(5);
    const net = new MLP([2, 8, 1], { rng, activation: 'tanh' });
    return {
      net,
      opt: new Adam(net.parameters(), { lr: 0.05 }),
      x: randn([16, 2], rng),
      y: randn([16, 1], rng),
    };
  }

  it('skipIfNonFinite leaves weights and state bit-identical and returns false', () => {
    const { net, opt, x, y } = setup();
    mseLoss(net.forward(x), y).backward();
    expect(opt.step({ skipIfNonFinite: true })).toBe(true);
    opt.zeroGrad();
    mseLoss(net.forward(x), y).backward();
    const bytes = net.parameters().map((p) => new Uint8Array(p.data.buffer.slice(0)));
    const state = structuredClone(opt.stateDict());
    net.parameters()[3].grad!.data[0] = NaN;
    net.parameters()[1].grad!.data[2] = Infinity;
    expect(opt.step({ skipIfNonFinite: true })).toBe(false);
    net
      .parameters()
      .forEach((p, i) => expect(new Uint8Array(p.data.buffer.slice(0))).toEqual(bytes[i]));
    expect(opt.stateDict()).toEqual(state);
    expect(() => opt.step({ errorIfNonFinite: true })).toThrow(NonFiniteError);
    expect(() => opt.step({ errorIfNonFinite: true })).toThrow(
      /group 0 param 1 \[8\] has Infinity at element 2/,
    );
    net
      .parameters()
      .forEach((p, i) => expect(new Uint8Array(p.data.buffer.slice(0))).toEqual(bytes[i]));
  });
});
