/**
 * Distillation losses (Rusu et al. 2016, "Policy Distillation", section 4): a student network is
 * trained to reproduce a teacher's outputs on states the teacher visited.
 *
 *   KL  L = E_s  sum_a  softmax(q_T(s) / tau)_a  *  (log softmax(q_T(s) / tau)_a - log softmax(z_S(s))_a)
 *       The teacher's outputs (Q-values or logits) are softened (or, tau < 1, sharpened: Rusu et al.
 *       use tau = 0.01 on DQN Q-values) into a policy; the student's outputs are read as logits at
 *       temperature 1, as in the paper. `studentTemperature` divides the student's logits too
 *       (Hinton et al. 2015's symmetric form, which also scales the loss by T^2 to keep gradient
 *       magnitudes; that scaling is left to the caller's weight).
 *   MSE L = mean over the batch and the outputs of (z_S(s) - q_T(s))^2: regression on the raw
 *       outputs (Q-values, or logits "logit matching").
 * Gradients flow to the student only: the teacher's outputs are constants.
 */
import {
  klDiv,
  logSoftmax,
  mseLoss,
  noGrad,
  ShapeError,
  Tensor,
  ValueError,
} from '../../core/index.js';

function checkPair(op: string, student: Tensor, teacher: Tensor): void {
  if (
    student.rank !== 2 ||
    teacher.rank !== 2 ||
    student.shape[0] !== teacher.shape[0] ||
    student.shape[1] !== teacher.shape[1]
  ) {
    throw new ShapeError(
      `${op}: 'student' [${student.shape.join(', ')}] and 'teacher' [${teacher.shape.join(', ')}] must both be [batch, actions] of one shape`,
    );
  }
}

function checkTemperature(op: string, name: string, t: number): void {
  if (!(t > 0) || !Number.isFinite(t))
    throw new ValueError(`${op}: ${name} must be a positive number, got ${t}`);
}

/**
 * softmax(outputs / temperature) per row of a [rows, actions] array, in float64 with the max
 * subtracted: the teacher's policy. Used to cache teacher targets once per collected state.
 */
export function teacherPolicy(
  outputs: ArrayLike<number>,
  actions: number,
  temperature = 1,
): Float32Array {
  checkTemperature('teacherPolicy', 'temperature', temperature);
  if (actions < 1 || outputs.length % actions !== 0) {
    throw new ShapeError(
      `teacherPolicy: ${outputs.length} outputs are not rows of ${actions} actions`,
    );
  }
  const out = new Float32Array(outputs.length);
  for (let r = 0; r < outputs.length; r += actions) {
    let max = -Infinity;
    for (let a = 0; a < actions; a++) max = Math.max(max, outputs[r + a] / temperature);
    let z = 0;
    for (let a = 0; a < actions; a++) z += Math.exp(outputs[r + a] / temperature - max);
    for (let a = 0; a < actions; a++) out[r + a] = Math.exp(outputs[r + a] / temperature - max) / z;
  }
  return out;
}

export interface KLDistillationOptions {
  /** The teacher's temperature tau (default 1). */
  temperature?: number;
  /** Divide the student's logits too (default 1: Rusu et al.). */
  studentTemperature?: number;
  /** `teacher` holds probabilities already (teacherPolicy's output), not raw outputs. */
  teacherIsPolicy?: boolean;
}

/** KL(teacher_tau || student), summed over actions and averaged over the batch. */
export function klDistillationLoss(
  student: Tensor,
  teacher: Tensor,
  options: KLDistillationOptions = {},
): Tensor {
  checkPair('klDistillationLoss', student, teacher);
  const tau = options.temperature ?? 1;
  const tauS = options.studentTemperature ?? 1;
  checkTemperature('klDistillationLoss', 'temperature', tau);
  checkTemperature('klDistillationLoss', 'studentTemperature', tauS);
  const A = teacher.shape[1];
  const target = noGrad(() => {
    const p = options.teacherIsPolicy
      ? Float32Array.from(teacher.data)
      : teacherPolicy(teacher.data, A, tau);
    const t = new Tensor(p, teacher.shape);
    return student.dtype === 'float32' ? t : t.to(student.dtype);
  });
  const logQ = logSoftmax(tauS === 1 ? student : student.div(tauS), -1);
  return klDiv(logQ, target, { reduction: 'batchmean' });
}

/** mean((student - teacher)^2) over every element: regression on outputs. */
export function mseDistillationLoss(student: Tensor, teacher: Tensor): Tensor {
  checkPair('mseDistillationLoss', student, teacher);
  const target = noGrad(() => teacher.detach());
  return mseLoss(student, target.dtype === student.dtype ? target : target.to(student.dtype));
}

export type DistillationLossKind = 'kl' | 'mse';

/** The configured loss of `kind` on student outputs and teacher outputs (raw, not policies). */
export function distillationLoss(
  kind: DistillationLossKind,
  student: Tensor,
  teacher: Tensor,
  temperature = 1,
): Tensor {
  return kind === 'kl'
    ? klDistillationLoss(student, teacher, { temperature })
    : mseDistillationLoss(student, teacher);
}
