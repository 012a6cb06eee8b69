/**
 * The tokenizer.json pipelines the trainers produce, matching the families users know:
 * GPT-2 (byte-level BPE), BERT (WordPiece, lowercased), Llama-2 (SentencePiece-style BPE with
 * byte fallback). Everything but the model and the added tokens.
 */
export type Json = Record<string, unknown>;

export const gpt2Layout = (): Json => ({
  normalizer: null,
  pre_tokenizer: {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  },
  post_processor: {
    type: 'ByteLevel',
    add_prefix_space: true,
    trim_offsets: false,
    use_regex: true,
  },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
});

export function bertLayout(cls: [string, number], sep: [string, number], lowercase: boolean): Json {
  const special = (t: [string, number]): Json => ({ id: t[0], ids: [t[1]], tokens: [t[0]] });
  const sp = (id: string, typeId: number): Json => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: string, typeId: number): Json => ({ Sequence: { id, type_id: typeId } });
  return {
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [sp(cls[0], 0), seq('A', 0), sp(sep[0], 0)],
      pair: [sp(cls[0], 0), seq('A', 0), sp(sep[0], 0), seq('B', 1), sp(sep[0], 1)],
      special_tokens: { [cls[0]]: special(cls), [sep[0]]: special(sep) },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  };
}

export function llama2Layout(bos: [string, number]): Json {
  return {
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos[0], type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos[0], type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: bos[0], type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos[0]]: { id: bos[0], ids: [bos[1]], tokens: [bos[0]] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '\u2581' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
  };
}

/** The pre-tokenizer used only while training a Llama-2 style model (words end at spaces). */
export const llama2TrainingPreTokenizer: Json = {
  type: 'Metaspace',
  replacement: '\u2581',
  prepend_scheme: 'always',
  split: true,
};

export function addedToken(id: number, content: string, special = true): Json {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  };
}
