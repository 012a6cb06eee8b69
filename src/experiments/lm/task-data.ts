/**
 * A run's target examples, tokenized as its task needs them: the held-out evaluation set (and
 * its training-language twin in cross-lingual runs) once per run, and each seed's training
 * budget and validation split once per seed, shared by every rate of a method's grid.
 */
import type { PreTrainedTokenizer } from '../../text/index.js';
import type { ComputeMetrics, DataCollator } from '../../train/index.js';
import { trainSubset, type LmSplit, type TextItem } from './data.js';
import { classificationDataset, lmDataset } from './jobs.js';
import { qaDataCollator, qaDataset, qaMetrics } from './qa.js';
import { validationCount, type LmExperiment } from './schema.js';

/** Examples of a task, with the SQuAD metrics of their own items for QA. */
export interface TaskExamples {
  data: unknown[];
  computeMetrics?: ComputeMetrics;
}

export interface TaskData {
  examples: (items: TextItem[], what: string) => TaskExamples;
  evalSet: unknown[];
  /** Cross-lingual runs: the held-out items in the training language. */
  reference?: unknown[];
  /** Question answering: the features' collator and the eval set's SQuAD metrics. */
  qa?: { collator: DataCollator<unknown>; computeMetrics: ComputeMetrics };
}

export function taskData(exp: LmExperiment, split: LmSplit, tok: PreTrainedTokenizer): TaskData {
  const t = exp.target;
  const examples = (items: TextItem[], what: string): TaskExamples => {
    if (t.task === 'question-answering') {
      const features = qaDataset(tok, items, exp);
      return { data: features, computeMetrics: qaMetrics(items, features) };
    }
    if (t.task === 'classification')
      return { data: classificationDataset(tok, items, split.labels, t.maxLength) };
    return { data: lmDataset(tok, items, exp.model.blockSize, what).examples };
  };
  const evalExamples = examples(split.evalSet, 'evaluation set');
  return {
    examples,
    evalSet: evalExamples.data,
    ...(split.crossLingual
      ? {
          reference: classificationDataset(
            tok,
            split.crossLingual.reference,
            split.labels,
            t.maxLength,
          ),
        }
      : {}),
    ...(t.task === 'question-answering'
      ? { qa: { collator: qaDataCollator(tok), computeMetrics: evalExamples.computeMetrics! } }
      : {}),
  };
}

export interface SeedBudget {
  train: unknown[];
  validation: TaskExamples | null;
}

/**
 * A seed's training budget of `size` items: the end of it is the validation split (when the
 * config asks for one), every method trains on the rest, so all see the same examples.
 * Tokenized on the first call only: a seed whose jobs are all done costs nothing.
 */
export function seedBudget(
  exp: LmExperiment,
  split: LmSplit,
  task: TaskData,
  size: number,
  seed: number,
): () => SeedBudget {
  let budget: SeedBudget | undefined;
  return () => {
    if (budget) return budget;
    const items = trainSubset(split.pool, seed, size);
    const nVal = validationCount(exp, size);
    budget = {
      train: task.examples(items.slice(0, size - nVal), `target budget n=${size}`).data,
      validation:
        nVal > 0 ? task.examples(items.slice(size - nVal), `validation split of n=${size}`) : null,
    };
    return budget;
  };
}
