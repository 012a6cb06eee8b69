import {
  abs,
  add,
  addScalar,
  cast,
  crossEntropy,
  exp,
  formatShape,
  log,
  mean,
  mseLoss,
  mul,
  neg,
  relu,
  reshape,
  ShapeError,
  slice,
  sub,
  Tensor,
  ValueError,
} from '../../core/index.js';
import type { QuestionAnsweringInputs, QuestionAnsweringOutput } from './outputs.js';

/**
 * The losses of Hugging Face's heads, with its semantics: -100 labels are ignored, causal LM
 * labels are shifted inside, question answering clamps positions and ignores those out of range.
 */

/** Mean next-token cross-entropy: logits [B, T, V] at position t score labels [B, T] at t + 1. */
export function causalLmLoss(logits: Tensor, labels: Tensor): Tensor {
  const [B, T, V] = logits.shape;
  checkLabels('causal LM loss', labels, [B, T]);
  const shiftedLogits = reshape(slice(logits, 1, 0, T - 1), [B * (T - 1), V]);
  const shiftedLabels = reshape(slice(labels, 1, 1, T), [B * (T - 1)]);
  return crossEntropy(shiftedLogits, shiftedLabels);
}

/** Cross-entropy at every position (masked LM, token classification); -100 is ignored. */
export function tokenLoss(logits: Tensor, labels: Tensor, op: string): Tensor {
  const [B, T, C] = logits.shape;
  checkLabels(op, labels, [B, T]);
  return crossEntropy(reshape(logits, [B * T, C]), reshape(labels, [B * T]));
}

export type ProblemType =
  'regression' | 'single_label_classification' | 'multi_label_classification';

/**
 * Sequence classification loss as Hugging Face picks it: the config's problem_type, else
 * regression (MSE) when num_labels is 1, cross-entropy for int labels, BCE with logits otherwise.
 */
export function sequenceClassificationLoss(
  logits: Tensor,
  labels: Tensor,
  problemType: ProblemType | null,
): Tensor {
  const [B, L] = logits.shape;
  const kind =
    problemType ??
    (L === 1
      ? 'regression'
      : labels.dtype === 'int32'
        ? 'single_label_classification'
        : 'multi_label_classification');
  if (kind === 'single_label_classification') {
    checkLabels('sequence classification loss', labels, [B], 'int32');
    return crossEntropy(logits, labels);
  }
  const target = labels.dtype === logits.dtype ? labels : cast(labels, logits.dtype);
  if (kind === 'regression') {
    if (target.size !== logits.size) {
      throw new ShapeError(
        `sequence classification loss (regression): labels ${formatShape(labels.shape)} do not match logits ${formatShape(logits.shape)}`,
      );
    }
    return mseLoss(logits, reshape(target, logits.shape));
  }
  checkLabels('sequence classification loss (multi-label)', target, [B, L]);
  return bceWithLogits(logits, target);
}

/** Mean binary cross-entropy with logits, in the stable form max(x,0) - x y + log(1 + e^-|x|). */
export function bceWithLogits(logits: Tensor, targets: Tensor): Tensor {
  const softplusNegAbs = log(addScalar(exp(neg(abs(logits))), 1));
  return mean(add(sub(relu(logits), mul(logits, targets)), softplusNegAbs));
}

/**
 * The extractive-QA head's outputs from its [B, T, 2] logits (qa_outputs of BERT and GPT-2 alike):
 * start and end logits [B, T], and the span loss when the inputs carry start and end positions.
 */
export function questionAnsweringOutput(
  logits: Tensor,
  inputs: QuestionAnsweringInputs,
): QuestionAnsweringOutput {
  const [B, T] = logits.shape;
  const startLogits = reshape(slice(logits, 2, 0, 1), [B, T]);
  const endLogits = reshape(slice(logits, 2, 1, 2), [B, T]);
  const out: QuestionAnsweringOutput = { logits, startLogits, endLogits };
  if (inputs.startPositions && inputs.endPositions) {
    out.loss = questionAnsweringLoss(
      startLogits,
      endLogits,
      inputs.startPositions,
      inputs.endPositions,
    );
  }
  return out;
}

/**
 * Extractive QA loss: positions are clamped to [0, T] and T is ignored (a position outside the
 * sequence contributes nothing); the loss is the mean of the start and end cross-entropies.
 */
export function questionAnsweringLoss(
  startLogits: Tensor,
  endLogits: Tensor,
  startPositions: Tensor,
  endPositions: Tensor,
): Tensor {
  const [B, T] = startLogits.shape;
  const clampPositions = (p: Tensor, name: string): Tensor => {
    checkLabels(`question answering loss (${name})`, p, [B], 'int32');
    const out = new Int32Array(B);
    for (let i = 0; i < B; i++) out[i] = Math.min(Math.max(p.data[i], 0), T);
    return new Tensor(out, [B]);
  };
  const options = { ignoreIndex: T };
  const startLoss = crossEntropy(
    startLogits,
    clampPositions(startPositions, 'startPositions'),
    options,
  );
  const endLoss = crossEntropy(endLogits, clampPositions(endPositions, 'endPositions'), options);
  return mul(add(startLoss, endLoss), 0.5);
}

function checkLabels(op: string, labels: Tensor, shape: readonly number[], dtype?: 'int32'): void {
  const sizeOk =
    labels.shape.length === shape.length && labels.shape.every((d, i) => d === shape[i]);
  if (!sizeOk) {
    throw new ShapeError(
      `${op}: labels must have shape ${formatShape(shape)}, got ${formatShape(labels.shape)}`,
    );
  }
  if (dtype && labels.dtype !== dtype) {
    throw new ValueError(`${op}: labels must be ${dtype} class ids, got ${labels.dtype}`);
  }
}
