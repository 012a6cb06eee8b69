/**
 * tokenizer_config.json / special_tokens_map.json: which added tokens play the roles of bos, eos,
 * unk, pad, cls, sep and mask, and the settings transformers keeps outside tokenizer.json.
 */
import type { Tokenizer } from './tokenizer.js';

export const SPECIAL_ROLES = ['bos', 'eos', 'unk', 'pad', 'cls', 'sep', 'mask'] as const;
export type SpecialRole = (typeof SPECIAL_ROLES)[number];
export type SpecialTokens = Partial<Record<SpecialRole, string>>;

export interface TokenizerSettings {
  specialTokens: SpecialTokens;
  modelMaxLength: number;
  paddingSide: 'right' | 'left';
  truncationSide: 'right' | 'left';
  cleanUpTokenizationSpaces: boolean;
  /** Everything else from tokenizer_config.json, written back unchanged by savePretrained. */
  extra: Record<string, unknown>;
}

/** HF writes `model_max_length` as 1e30 ("VERY_LARGE_INTEGER") when a model has no limit. */
const NO_LIMIT = 1e30;

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { content?: unknown }).content === 'string'
  ) {
    return (v as { content: string }).content;
  }
  return undefined;
}

// When no config names them, recognise the usual spellings among the added special tokens.
const USUAL: Record<SpecialRole, string[]> = {
  bos: ['<s>', '<|begin_of_text|>', '<bos>'],
  eos: ['</s>', '<|endoftext|>', '<|end_of_text|>', '<eos>'],
  unk: ['[UNK]', '<unk>', '<|endoftext|>'],
  pad: ['[PAD]', '<pad>'],
  cls: ['[CLS]', '<s>'],
  sep: ['[SEP]', '</s>'],
  mask: ['[MASK]', '<mask>'],
};

export function parseSettings(
  tokenizer: Tokenizer,
  config: Record<string, unknown> | null,
  specialMap: Record<string, unknown> | null,
): TokenizerSettings {
  const cfg = config ?? {};
  const specialTokens: SpecialTokens = {};
  for (const role of SPECIAL_ROLES) {
    const key = `${role}_token`;
    const v = tokenContent(cfg[key]) ?? tokenContent(specialMap?.[key]);
    if (v !== undefined) specialTokens[role] = v;
  }
  if (config === null && specialMap === null) {
    const present = new Set(tokenizer.addedTokens.filter((t) => t.special).map((t) => t.content));
    for (const role of SPECIAL_ROLES) {
      const hit = USUAL[role].find((t) => present.has(t));
      if (hit) specialTokens[role] = hit;
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (!SPECIAL_ROLES.some((r) => k === `${r}_token`)) extra[k] = v;
  }
  const max = typeof cfg.model_max_length === 'number' ? cfg.model_max_length : NO_LIMIT;
  return {
    specialTokens,
    modelMaxLength: max >= NO_LIMIT ? Infinity : max,
    paddingSide: cfg.padding_side === 'left' ? 'left' : 'right',
    truncationSide: cfg.truncation_side === 'left' ? 'left' : 'right',
    cleanUpTokenizationSpaces: cfg.clean_up_tokenization_spaces === true,
    extra,
  };
}

export function settingsToConfig(s: TokenizerSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...s.extra,
    model_max_length: Number.isFinite(s.modelMaxLength) ? s.modelMaxLength : NO_LIMIT,
    padding_side: s.paddingSide,
    truncation_side: s.truncationSide,
    clean_up_tokenization_spaces: s.cleanUpTokenizationSpaces,
  };
  for (const role of SPECIAL_ROLES) {
    const v = s.specialTokens[role];
    if (v !== undefined) out[`${role}_token`] = v;
  }
  return out;
}

export function specialTokensMap(s: TokenizerSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const role of SPECIAL_ROLES) {
    const v = s.specialTokens[role];
    if (v !== undefined) out[`${role}_token`] = v;
  }
  return out;
}
