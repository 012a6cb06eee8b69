/** Text data: SQuAD, classification files, LM corpora and the corpora that can be prepared here. */
export { DatasetError } from './errors.js';
export {
  loadSquad,
  parseSquad,
  type SquadAnswer,
  type SquadDataset,
  type SquadExample,
  type SquadLoadOptions,
} from './squad/load.js';
export { prepareQaFeatures, type QaFeature, type QaPrepareOptions } from './squad/preprocess.js';
export {
  postprocessQaPredictions,
  type Candidate,
  type QaPostprocessOptions,
  type QaPredictions,
} from './squad/postprocess.js';
export {
  exactMatch,
  f1Score,
  f1ScoreV2,
  normalizeAnswer,
  squadEvaluate,
  type SquadScores,
} from './squad/evaluate.js';
export {
  loadClassification,
  parseClassification,
  type ClassificationDataset,
  type ClassificationExample,
  type ClassificationOptions,
} from './classification.js';
export {
  groupTexts,
  lmBatches,
  tokenizeCorpus,
  type LmBatch,
  type LmBatchOptions,
  type TokenizeCorpusOptions,
} from './lm.js';
export {
  CORPORA,
  prepareCorpus,
  readPrepared,
  type PreparedCorpus,
  type PrepareOptions,
  type PrepareProgress,
} from './prepare/corpora.js';
export { osisToText, readVerses, readZText, type Verse } from './prepare/sword.js';
