import { ValueError } from '../core/index.js';
import type { PreTrainedModelClass, Task } from './common/pretrained.js';

/**
 * Architectures by Hugging Face class name. Each family registers its classes with one call per
 * class when its module loads; the Auto classes and config.json's `architectures` resolve here.
 */
const byName = new Map<string, PreTrainedModelClass>();

export function registerArchitecture(cls: PreTrainedModelClass): void {
  const { architecture } = cls.spec;
  const existing = byName.get(architecture);
  if (existing && existing !== cls) {
    throw new ValueError(`registerArchitecture: '${architecture}' is already registered`);
  }
  byName.set(architecture, cls);
}

/** The class registered under a Hugging Face architecture name. */
export function architectureClass(name: string): PreTrainedModelClass | undefined {
  return byName.get(name);
}

/** The class for a model_type and task ('bert' + 'question-answering' -> BertForQuestionAnswering). */
export function classFor(modelType: string, task: Task): PreTrainedModelClass | undefined {
  for (const cls of byName.values()) {
    if (cls.spec.modelType === modelType && cls.spec.task === task) return cls;
  }
  return undefined;
}

/** Registered architecture names, optionally for one task, sorted. */
export function supportedArchitectures(task?: Task): string[] {
  return [...byName.values()]
    .filter((c) => task === undefined || c.spec.task === task)
    .map((c) => c.spec.architecture)
    .sort();
}

/** Registered model types, optionally those that have a class for a task, sorted. */
export function supportedModelTypes(task?: Task): string[] {
  const types = new Set<string>();
  for (const c of byName.values())
    if (task === undefined || c.spec.task === task) types.add(c.spec.modelType);
  return [...types].sort();
}
