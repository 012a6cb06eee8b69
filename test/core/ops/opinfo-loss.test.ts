import { describe, expect, it } from 'vitest';
import * as ops from '../../../src/index.js';
import { DTypeError, IndexError, ShapeError, tensor, ValueError } from '../../../src/index.js';
import { C, defineOp, F, I, runOpInfos, type Nd, type Sample } from '../opinfo.js';

type Red = 'none' | 'sum' | 'mean' | 'batchmean';

/** Reduce per-element losses; mean over `count` (default: all elements). */
function reduceLoss(per: Nd, reduction: Red, count = per.data.length): Nd {
  if (reduction === 'none') return per;
  const s = per.data.reduce((p, v) => p + v, 0);
  if (reduction === 'sum') return { shape: [], data: [s] };
  if (reduction === 'batchmean') return { shape: [], data: [s / (per.shape[0] ?? 1)] };
  return { shape: [], data: [s / count] };
}

type CeArgs = { ignoreIndex?: number; labelSmoothing?: number; reduction?: Red };

/** torch.nn.functional.cross_entropy with class-last logits, written from its documentation. */
function crossEntropyRef(logits: Nd, targets: Nd, a: CeArgs): Nd {
  const C = logits.shape[logits.shape.length - 1];
  const eps = a.labelSmoothing ?? 0;
  const ignore = a.ignoreIndex ?? -100;
  let count = 0;
  const per = targets.data.map((t, r) => {
    if (t === ignore) return 0;
    count++;
    const row = logits.data.slice(r * C, (r + 1) * C);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((p, x) => p + Math.exp(x - m), 0));
    const logp = row.map((x) => x - lse);
    const nll = -logp[t];
    const smooth = -logp.reduce((p, x) => p + x, 0) / C;
    return (1 - eps) * nll + eps * smooth;
  });
  return reduceLoss({ shape: targets.shape, data: per }, a.reduction ?? 'mean', count);
}

const ceSamples: Sample<CeArgs>[] = [];
for (const reduction of ['mean', 'sum', 'none'] as const) {
  ceSamples.push(
    { name: `${reduction}`, inputs: [F([4, 5]), I([4], [0, 4, 2, 2])], args: { reduction } },
    {
      name: `${reduction}, default ignoreIndex -100`,
      inputs: [F([4, 3]), I([4], [1, -100, 0, -100])],
      args: { reduction },
    },
    {
      name: `${reduction}, labelSmoothing 0.1 with ignoreIndex 2`,
      inputs: [F([2, 3, 4]), I([2, 3], [0, 2, 3, 2, 1, 1])],
      args: { reduction, labelSmoothing: 0.1, ignoreIndex: 2 },
    },
  );
}
ceSamples.push(
  { name: 'large logits', inputs: [F([3, 4], { range: [300, 900] }), I([3], [1, 3, 0])], args: {} },
  { name: 'labelSmoothing 1', inputs: [F([3, 4]), I([3], [1, 3, 0])], args: { labelSmoothing: 1 } },
  { name: 'single row', inputs: [F([1, 6]), I([1], [5])], args: { reduction: 'sum' } },
  {
    name: 'all ignored: mean is NaN',
    inputs: [F([2, 3]), I([2], [-100, -100])],
    args: {},
    grad: false,
  },
);

type PArgs = { reduction?: Red; delta?: number; logTarget?: boolean };

const pairSamples = (reductions: Red[], target: (s: number[]) => ReturnType<typeof F>) =>
  reductions.flatMap((reduction): Sample<PArgs>[] => [
    { name: `${reduction} [3,4]`, inputs: [F([3, 4]), target([3, 4])], args: { reduction } },
    { name: `${reduction} 0-d`, inputs: [F([]), target([])], args: { reduction } },
  ]);

const reductionError = (name: string, fn: () => unknown) => ({
  name: 'unknown reduction',
  fn,
  error: ValueError,
  message: new RegExp(`${name}: unknown reduction 'avg'`),
});

runOpInfos([
  defineOp<CeArgs>({
    name: 'crossEntropy',
    op: ([x, t], a) => ops.crossEntropy(x, t, a as ops.CrossEntropyOptions),
    ref: ([x, t], a) => crossEntropyRef(x, t, a),
    samples: ceSamples,
    errors: [
      {
        name: 'float targets',
        fn: () => ops.crossEntropy(ops.zeros([2, 3]), ops.zeros([2])),
        error: DTypeError,
        message: /crossEntropy: argument 'targets' must be int32, got float32/,
      },
      {
        name: 'targets of the wrong shape',
        fn: () => ops.crossEntropy(ops.zeros([2, 3]), tensor([0, 1, 2], [3], { dtype: 'int32' })),
        error: ShapeError,
        message: /crossEntropy: logits \[2,3\] need targets of shape \[2\], got \[3\]/,
      },
      {
        name: '0-d logits',
        fn: () => ops.crossEntropy(ops.zeros([]), tensor([0], [], { dtype: 'int32' })),
        error: ShapeError,
        message: /crossEntropy: logits must have a class dim \(last\), got a 0-d tensor/,
      },
      {
        name: 'target out of range',
        fn: () => ops.crossEntropy(ops.zeros([2, 3]), tensor([0, 3], [2], { dtype: 'int32' })),
        error: IndexError,
        message: /crossEntropy: target 3 at position 1 is out of range for 3 classes/,
      },
      {
        name: 'labelSmoothing out of range',
        fn: () =>
          ops.crossEntropy(ops.zeros([1, 3]), tensor([0], [1], { dtype: 'int32' }), {
            labelSmoothing: 1.5,
          }),
        error: ValueError,
        message: /crossEntropy: labelSmoothing must be in \[0, 1\], got 1.5/,
      },
      reductionError('crossEntropy', () =>
        ops.crossEntropy(ops.zeros([1, 3]), tensor([0], [1], { dtype: 'int32' }), {
          reduction: 'avg' as 'mean',
        }),
      ),
    ],
  }),
  defineOp<PArgs>({
    name: 'mseLoss',
    op: ([x, t], a) => ops.mseLoss(x, t, a.reduction as ops.Reduction),
    ref: ([x, t], a) =>
      reduceLoss(
        { shape: x.shape, data: x.data.map((v, i) => (v - t.data[i]) ** 2) },
        a.reduction!,
      ),
    samples: pairSamples(['mean', 'sum', 'none'], (s) => F(s)),
    errors: [
      {
        name: 'shape mismatch',
        fn: () => ops.mseLoss(ops.zeros([2]), ops.zeros([3])),
        error: ShapeError,
        message: /mseLoss: input \[2\] and target \[3\] differ in shape/,
      },
      {
        name: 'dtype mismatch',
        fn: () => ops.mseLoss(ops.zeros([2]), tensor(new Float64Array(2), [2])),
        error: DTypeError,
        message: /mseLoss: dtypes differ \(float32 vs float64\)/,
      },
      reductionError('mseLoss', () => ops.mseLoss(ops.zeros([2]), ops.zeros([2]), 'avg' as 'mean')),
    ],
  }),
  defineOp<PArgs>({
    name: 'huberLoss',
    op: ([x, t], a) => ops.huberLoss(x, t, a.delta, a.reduction as ops.Reduction),
    ref: ([x, t], a) => {
      const delta = a.delta ?? 1;
      const per = x.data.map((v, i) => {
        const d = Math.abs(v - t.data[i]);
        return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
      });
      return reduceLoss({ shape: x.shape, data: per }, a.reduction!);
    },
    samples: [
      ...pairSamples(['mean', 'sum', 'none'], (s) => F(s)),
      {
        name: 'delta 0.3 none',
        inputs: [F([4, 3]), F([4, 3])],
        args: { delta: 0.3, reduction: 'none' },
      },
    ],
    errors: [
      {
        name: 'delta not positive',
        fn: () => ops.huberLoss(ops.zeros([2]), ops.zeros([2]), 0),
        error: ValueError,
        message: /huberLoss: delta must be > 0, got 0/,
      },
    ],
  }),
  defineOp<PArgs>({
    name: 'klDiv',
    op: ([x, t], a) => ops.klDiv(x, t, { reduction: a.reduction, logTarget: a.logTarget }),
    // torch.nn.functional.kl_div: input is log q; pointwise p * (log p - log q), 0 where p is 0.
    ref: ([x, t], a) => {
      const per = x.data.map((v, i) => {
        const p = a.logTarget ? Math.exp(t.data[i]) : t.data[i];
        const logp = a.logTarget ? t.data[i] : Math.log(p);
        return p > 0 ? p * (logp - v) : 0;
      });
      return reduceLoss({ shape: x.shape, data: per }, a.reduction ?? 'mean');
    },
    samples: [
      ...(['mean', 'sum', 'none', 'batchmean'] as const).flatMap((reduction): Sample<PArgs>[] => [
        {
          name: `${reduction}`,
          inputs: [F([3, 4], { range: [-3, -0.1] }), F([3, 4], { range: [0.05, 1] })],
          args: { reduction },
        },
        {
          name: `${reduction} logTarget`,
          inputs: [F([3, 4], { range: [-3, -0.1] }), F([3, 4], { range: [-3, -0.1] })],
          args: { reduction, logTarget: true },
        },
      ]),
      {
        name: 'zeros in the target',
        inputs: [F([2, 3], { range: [-3, -0.1] }), C([2, 3], { values: [0, 0.5, 0.5, 1, 0, 0] })],
        args: { reduction: 'sum' },
      },
      {
        name: 'batchmean 0-d',
        inputs: [F([], { range: [-2, -1] }), F([], { range: [0.2, 1] })],
        args: { reduction: 'batchmean' },
      },
    ],
    errors: [
      reductionError('klDiv', () =>
        ops.klDiv(ops.zeros([2]), ops.zeros([2]), { reduction: 'avg' as 'mean' }),
      ),
      {
        name: 'shape mismatch',
        fn: () => ops.klDiv(ops.zeros([2, 2]), ops.zeros([4])),
        error: ShapeError,
        message: /klDiv: input \[2,2\] and target \[4\] differ in shape/,
      },
    ],
  }),
]);

describe('losses: values PyTorch gives', () => {
  const logits = tensor(new Float64Array([1, 2, 3]), [1, 3]);
  const target = tensor([2], [1], { dtype: 'int32' });
  it('cross_entropy([[1,2,3]], [2])', () => {
    expect(ops.crossEntropy(logits, target).item()).toBeCloseTo(0.4076059644443804, 12);
  });
  it('cross_entropy(..., label_smoothing=0.1)', () => {
    const loss = ops.crossEntropy(logits, target, { labelSmoothing: 0.1 });
    expect(loss.item()).toBeCloseTo(0.5076059644443804, 12);
  });
  it('cross_entropy gradient is softmax - onehot', () => {
    const x = tensor(new Float64Array([1, 2, 3]), [1, 3], { requiresGrad: true });
    ops.crossEntropy(x, target).backward();
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0] + e[1] + e[2];
    expect(x.grad!.data[0]).toBeCloseTo(e[0] / z, 12);
    expect(x.grad!.data[2]).toBeCloseTo(e[2] / z - 1, 12);
  });
});
