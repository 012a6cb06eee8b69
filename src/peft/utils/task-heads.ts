import type { Module } from '../../nn/index.js';
import type { BasePeftConfig } from '../config.js';
import { matchesTarget } from './targets.js';

/**
 * Task heads and adapters: PEFT trains a task's new head as modules_to_save of each adapter,
 * AdapterHub trains one shared head in place with the adapter. Both start from the heads a task
 * type names.
 */

/** PEFT's default modules_to_save per task (heads trained with the adapters). */
export const TASK_HEADS: Record<string, string[]> = {
  SEQ_CLS: ['classifier', 'score'],
  TOKEN_CLS: ['classifier', 'score'],
  QUESTION_ANS: ['qa_outputs'],
};

/**
 * PEFT's PeftModelFor<Task> constructors add the task's heads to the config's modules_to_save
 * (so adapter_config.json lists them); methods without the field (bottleneck adapters) train the
 * heads in place instead (sharedTaskHeads).
 */
export function withTaskHeads(config: BasePeftConfig): void {
  const heads = TASK_HEADS[config.task_type ?? ''];
  if (!heads || !('modules_to_save' in config)) return;
  const own = (config as { modules_to_save: string[] | null }).modules_to_save ?? [];
  (config as { modules_to_save: string[] }).modules_to_save = [
    ...own,
    ...heads.filter((h) => !own.includes(h)),
  ];
}

/**
 * The task heads an adapter without modules_to_save trains in place: AdapterHub trains the
 * prediction head together with the adapter (its heads are one module shared by the adapters and
 * saved apart from them), so a bottleneck adapter of task SEQ_CLS trains `score` / `classifier`.
 * An adapter of another task (a MAD-X language adapter, CAUSAL_LM) leaves the heads frozen.
 */
export function sharedTaskHeads(model: Module, config: BasePeftConfig): Module[] {
  const heads = TASK_HEADS[config.task_type ?? ''];
  if (!heads || 'modules_to_save' in config) return [];
  return model
    .namedModules()
    .filter(([key]) => key !== '' && matchesTarget(key, heads))
    .map(([, m]) => m);
}
