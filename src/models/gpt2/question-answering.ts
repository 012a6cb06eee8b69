/**
 * GPT-2 with an extractive question-answering head: Hugging Face's GPT2ForQuestionAnswering
 * (`transformer` + `qa_outputs`, a Linear(n_embd, 2) with bias), start and end logits per token
 * and BERT's span loss, with the same module names so checkpoints map one-to-one. A causal model
 * sees only the tokens before each position, so the question goes before the context.
 */
import { Linear } from '../../nn/index.js';
import { questionAnsweringOutput } from '../common/losses.js';
import type { QuestionAnsweringInputs, QuestionAnsweringOutput } from '../common/outputs.js';
import type { ArchitectureSpec, ModelOptions } from '../common/pretrained.js';
import { registerArchitecture } from '../registry.js';
import type { GPT2ConfigInput } from './config.js';
import { GPT2_IGNORED, GPT2Head } from './model.js';

export class GPT2ForQuestionAnswering extends GPT2Head {
  static override readonly spec: ArchitectureSpec = {
    architecture: 'GPT2ForQuestionAnswering',
    modelType: 'gpt2',
    task: 'question-answering',
    baseModelPrefix: 'transformer',
  };
  qa_outputs: Linear;

  constructor(config: Partial<GPT2ConfigInput> = {}, options: ModelOptions = {}) {
    super(config, options);
    this.qa_outputs = new Linear(this.config.n_embd, 2, { skipInit: true });
    this.initialize(options);
  }

  override ignoredCheckpointKeys(): RegExp[] {
    // A GPT2LMHeadModel checkpoint starts a QA model: its (tied) lm_head is not needed.
    return [...GPT2_IGNORED, /^lm_head\.weight$/];
  }

  /** Span start and end logits [B, T]; loss from startPositions/endPositions when given. */
  forward(inputs: QuestionAnsweringInputs): QuestionAnsweringOutput {
    const { lastHiddenState } = this.transformer.forward(inputs);
    return questionAnsweringOutput(this.qa_outputs.forward(lastHiddenState), inputs);
  }
}

registerArchitecture(GPT2ForQuestionAnswering);
