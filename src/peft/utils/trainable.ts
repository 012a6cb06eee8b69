import type { Parameter } from '../../nn/index.js';

export interface TrainableParameterReport {
  trainable: number;
  all: number;
  /** 100 * trainable / all */
  percent: number;
  /** PEFT's line: "trainable params: X || all params: Y || trainable%: Z". */
  text: string;
}

/** PEFT's get_nb_trainable_parameters and its print_trainable_parameters line. */
export function trainableParameterReport(params: readonly Parameter[]): TrainableParameterReport {
  let trainable = 0;
  let all = 0;
  for (const p of params) {
    all += p.size;
    if (p.requiresGrad) trainable += p.size;
  }
  const percent = all === 0 ? 0 : (100 * trainable) / all;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return {
    trainable,
    all,
    percent,
    text: `trainable params: ${fmt(trainable)} || all params: ${fmt(all)} || trainable%: ${percent.toFixed(4)}`,
  };
}
