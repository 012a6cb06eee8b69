/**
 * Heterogeneous synthetic classification clients: inputs x ~ N(0, I_d) are labelled by one fixed
 * random teacher network (tanh hidden layer, argmax over classes), and client k sees the labels
 * through its own label map π_g (clients are split round-robin into `labelMaps` groups; group 0
 * has the identity). So every client's task needs the same nonlinear features but a different
 * last layer: the case a shared body with per-client heads is made for, and one where plain
 * averaging fights itself. Clients also differ in size (uniform in [trainMin, trainMax]).
 */
import { z } from 'zod';
import { Generator, ValueError } from '../../core/index.js';

export const syntheticClientsSchema = z
  .object({
    numClients: z.number().int().min(1).max(10_000).default(10),
    dim: z.number().int().positive().default(10),
    classes: z.number().int().min(2).default(4),
    teacherHidden: z.number().int().positive().default(16),
    trainMin: z.number().int().positive().default(20),
    trainMax: z.number().int().positive().default(80),
    testSize: z.number().int().positive().default(200),
    /** Distinct label maps (groups of clients); 1 = every client has the same task. */
    labelMaps: z.number().int().positive().default(3),
  })
  .strict()
  .refine((o) => o.trainMin <= o.trainMax, 'trainMin must be <= trainMax');
export type SyntheticClientsOptions = z.input<typeof syntheticClientsSchema>;

export interface ClientData {
  id: string;
  dim: number;
  classes: number;
  labelMap: Int32Array;
  xTrain: Float32Array;
  yTrain: Int32Array;
  xTest: Float32Array;
  yTest: Int32Array;
}

export function syntheticClients(options: SyntheticClientsOptions, seed: number): ClientData[] {
  const o = syntheticClientsSchema.parse(options);
  if (o.labelMaps > 1 && o.classes < 2) throw new ValueError('syntheticClients: need 2+ classes');
  const rng = new Generator(seed);
  const { dim, classes, teacherHidden: h } = o;
  const w1 = Float64Array.from({ length: dim * h }, () => rng.normal(0, 1 / Math.sqrt(dim)) * 2);
  const w2 = Float64Array.from({ length: h * classes }, () => rng.normal(0, 1 / Math.sqrt(h)));
  const teacher = (x: Float32Array, off: number): number => {
    const hid = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += x[off + i] * w1[i * h + j];
      hid[j] = Math.tanh(s);
    }
    let best = 0;
    let bestV = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < h; j++) s += hid[j] * w2[j * classes + c];
      if (s > bestV) [best, bestV] = [c, s];
    }
    return best;
  };
  const maps = Array.from({ length: o.labelMaps }, (_, g) =>
    g === 0 ? Int32Array.from({ length: classes }, (_, c) => c) : rng.permutation(classes),
  );
  const draw = (n: number, map: Int32Array): { x: Float32Array; y: Int32Array } => {
    const x = new Float32Array(n * dim);
    const y = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < dim; i++) x[r * dim + i] = rng.normal();
      y[r] = map[teacher(x, r * dim)];
    }
    return { x, y };
  };
  return Array.from({ length: o.numClients }, (_, k) => {
    const map = maps[k % o.labelMaps];
    const n = o.trainMin + rng.int(o.trainMax - o.trainMin + 1);
    const train = draw(n, map);
    const test = draw(o.testSize, map);
    return {
      id: `client_${k}`,
      dim,
      classes,
      labelMap: map,
      xTrain: train.x,
      yTrain: train.y,
      xTest: test.x,
      yTest: test.y,
    };
  });
}
