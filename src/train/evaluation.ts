/**
 * The prediction loop behind evaluate() and predict(): the model in eval mode without gradients
 * over a dataset in order, the loss averaged over examples (each batch's mean loss weighted by its
 * size, as Hugging Face), logits and labels gathered for computeMetrics.
 */
import { memoryScope, noGrad, type Tensor } from '../core/index.js';
import { batchSizeOf, concatPadded, type DataCollator, type Dataset } from './data.js';
import type { ComputeMetrics, PredictionOutput, TrainableModel, TrainerOptions } from './types.js';

export interface PredictionLoopOptions<T> {
  model: TrainableModel;
  dataset: Dataset<T>;
  collator: DataCollator<T>;
  batchSize: number;
  labelNames: readonly string[];
  /** Gather logits and labels (otherwise the loss alone is computed). */
  gather: boolean;
  /** Metric keys get `${prefix}_` ('eval', 'test'). */
  prefix: string;
  computeMetrics?: ComputeMetrics;
  computeLoss?: TrainerOptions<T>['computeLoss'];
  preprocessLogitsForMetrics?: TrainerOptions<T>['preprocessLogitsForMetrics'];
}

export function predictionLoop<T>(o: PredictionLoopOptions<T>): PredictionOutput {
  const { model, dataset } = o;
  const wasTraining = model.training;
  const start = performance.now();
  const logits: Tensor[] = [];
  const labels = new Map<string, Tensor[]>();
  let lossSum = 0;
  let lossCount = 0;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < dataset.length; s += o.batchSize) {
        const examples: T[] = [];
        for (let i = s; i < Math.min(s + o.batchSize, dataset.length); i++) {
          examples.push(dataset[i]!);
        }
        // Each batch's activations go back to the memory pool; what is gathered is returned
        // from the scope, which keeps it.
        const kept = memoryScope(() => {
          const batch = o.collator(examples);
          const out = model.forward(batch);
          const n = batchSizeOf(batch);
          const loss = o.computeLoss ? o.computeLoss(model, batch) : out.loss;
          if (loss) {
            lossSum += loss.item() * n;
            lossCount += n;
          }
          if (!o.gather) return null;
          const labelIds = batch[o.labelNames[0]!] ?? null;
          const pre = o.preprocessLogitsForMetrics;
          const batchLogits = out.logits ? (pre ? pre(out.logits, labelIds) : out.logits) : null;
          const batchLabels = o.labelNames.map((name) => batch[name] ?? null);
          return { batchLogits, batchLabels };
        });
        if (!kept) continue;
        if (kept.batchLogits) logits.push(kept.batchLogits);
        o.labelNames.forEach((name, j) => {
          const t = kept.batchLabels[j];
          if (t) labels.set(name, [...(labels.get(name) ?? []), t]);
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const predictions = logits.length > 0 ? concatPadded(logits) : null;
  const gathered: Record<string, Tensor> = {};
  for (const [name, ts] of labels) gathered[name] = concatPadded(ts);
  const labelIds = gathered[o.labelNames[0]!] ?? null;
  const metrics: Record<string, number> = {};
  if (lossCount > 0) metrics.loss = lossSum / lossCount;
  if (o.computeMetrics && predictions) {
    Object.assign(metrics, o.computeMetrics({ predictions, labelIds, labels: gathered }));
  }
  const seconds = (performance.now() - start) / 1000;
  metrics.runtime = seconds;
  metrics.samples_per_second = seconds > 0 ? dataset.length / seconds : 0;
  const prefixed: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) {
    prefixed[k.startsWith(`${o.prefix}_`) ? k : `${o.prefix}_${k}`] = v;
  }
  return { predictions, labelIds, metrics: prefixed };
}
