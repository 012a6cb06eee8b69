export {
  causalLmCollator,
  causalLmMetrics,
  lmExamples,
  type CausalLmCollatorOptions,
  type CausalLmExample,
} from './causal-lm.js';
export { maskedLmCollator, type MaskedLmCollatorOptions } from './masked-lm.js';
export {
  classificationMetrics,
  sequenceClassificationCollator,
  tokenizeClassification,
  type ClassificationCollatorOptions,
  type SequenceClassificationExample,
} from './sequence-classification.js';
export {
  evaluateQa,
  qaCollator,
  qaComputeMetrics,
  scoreQaLogits,
  type EvaluateQaOptions,
  type QaCollatorOptions,
  type QaEvaluation,
  type QaModel,
} from './question-answering.js';
export { paddedLength, padRows, maskRows, type PaddingOptions } from './padding.js';
