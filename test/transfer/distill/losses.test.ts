import { describe, expect, it } from 'vitest';
import { ShapeError, Tensor, ValueError } from '../../../src/core/index.js';
import {
  distillationLoss,
  klDistillationLoss,
  mseDistillationLoss,
  teacherPolicy,
} from '../../../src/transfer/distill/losses.js';

const t = (rows: number[][], requiresGrad = false): Tensor => {
  const x = new Tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
  if (requiresGrad) x.requiresGrad = true;
  return x;
};

function softmax(v: number[], tau = 1): number[] {
  const m = Math.max(...v.map((x) => x / tau));
  const e = v.map((x) => Math.exp(x / tau - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

describe('distillation losses', () => {
  const student = [
    [1, 2, 0.5],
    [0, 0, 0],
  ];
  const teacher = [
    [2, 0, 1],
    [1, 3, -1],
  ];

  it('teacherPolicy is softmax(q / tau) per row', () => {
    const p = teacherPolicy(teacher.flat(), 3, 0.5);
    const want = [...softmax(teacher[0], 0.5), ...softmax(teacher[1], 0.5)];
    want.forEach((w, i) => expect(p[i]).toBeCloseTo(w, 6));
    // A small temperature sharpens towards the argmax (Rusu et al.'s tau = 0.01 on Q-values).
    expect(teacherPolicy([1, 1.1], 2, 0.01)[1]).toBeGreaterThan(0.99);
    expect(() => teacherPolicy([1, 2, 3], 2)).toThrow(ShapeError);
    expect(() => teacherPolicy([1, 2], 2, 0)).toThrow(ValueError);
  });

  for (const tau of [1, 0.5, 2]) {
    it(`KL(teacher_tau || student) matches the hand computation (tau ${tau}) and its gradient`, () => {
      const s = t(student, true);
      const loss = klDistillationLoss(s, t(teacher), { temperature: tau });
      let want = 0;
      const grad: number[][] = [];
      for (let b = 0; b < 2; b++) {
        const p = softmax(teacher[b], tau);
        const q = softmax(student[b]);
        for (let a = 0; a < 3; a++) want += p[a] * (Math.log(p[a]) - Math.log(q[a]));
        // d/dz_S of sum_a p_a (log p_a - log softmax(z)_a) = softmax(z) - p, over the batch of 2.
        grad.push(q.map((qa, a) => (qa - p[a]) / 2));
      }
      want /= 2;
      expect(loss.item()).toBeCloseTo(want, 5);
      loss.backward();
      grad.flat().forEach((g, i) => expect(s.grad!.data[i]).toBeCloseTo(g, 5));
    });
  }

  it('KL is 0 when the student equals the softened teacher, and studentTemperature divides the student', () => {
    const logits = teacher.map((r) => r.map((x) => x / 2));
    expect(klDistillationLoss(t(logits), t(teacher), { temperature: 2 }).item()).toBeCloseTo(0, 6);
    expect(
      klDistillationLoss(t(teacher), t(teacher), { temperature: 2, studentTemperature: 2 }).item(),
    ).toBeCloseTo(0, 6);
  });

  it('MSE is the mean squared difference of outputs, gradient 2 (z - q) / (B A)', () => {
    const s = t(student, true);
    const loss = mseDistillationLoss(s, t(teacher));
    const diffs = student.flat().map((x, i) => x - teacher.flat()[i]);
    expect(loss.item()).toBeCloseTo(diffs.reduce((a, d) => a + d * d, 0) / 6, 6);
    loss.backward();
    diffs.forEach((d, i) => expect(s.grad!.data[i]).toBeCloseTo((2 * d) / 6, 6));
    expect(distillationLoss('mse', t(student), t(teacher)).item()).toBeCloseTo(loss.item(), 6);
  });

  it('the teacher gets no gradient and mismatched shapes are a ShapeError naming both', () => {
    const s = t(student, true);
    const q = t(teacher, true);
    klDistillationLoss(s, q).backward();
    expect(q.grad).toBeFalsy();
    expect(() => klDistillationLoss(t([[1, 2]]), t(teacher))).toThrow(
      /'student' \[1, 2\] and 'teacher' \[2, 3\]/,
    );
    expect(() => mseDistillationLoss(t([[1, 2]]), t(teacher))).toThrow(ShapeError);
  });
});
