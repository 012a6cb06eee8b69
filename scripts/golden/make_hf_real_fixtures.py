"""Fixtures written by the real Hugging Face libraries, for Osmosis's interoperability tests.

Unlike make_model_goldens.py (a plain-PyTorch restatement), every file here comes from the real
`transformers`, `peft` and `tokenizers` packages: tiny random-init models saved with
`save_pretrained` (safetensors), tokenizer.json files trained with `tokenizers`, and PEFT
adapters created with `get_peft_model` and saved with `PeftModel.save_pretrained`. The expected
logits are what those libraries compute for fixed inputs.

  gpt2/            GPT2LMHeadModel (hidden 32, 2 layers, 4 heads), tied lm_head, byte-level BPE
                   tokenizer (vocab 300) trained with `tokenizers`, saved by transformers'
                   tokenizer (tokenizer.json + tokenizer_config.json), <|endoftext|> as padding
  bert-seqcls/     BertForSequenceClassification (3 labels), WordPiece tokenizer saved likewise
  bert-qa/         BertForQuestionAnswering, the same tokenizer, inputs are (question, context)
                   pairs with token_type_ids
  llama/           LlamaForCausalLM, grouped-query attention (4 heads, 2 kv heads), untied lm_head,
                   rope_theta 500000 (transformers 5 writes it inside `rope_parameters`)
  adapters/<model>-<method>/   PEFT adapter directories on those models:
                   lora (gpt2: c_attn + c_proj, fan_in_fan_out, rsLoRA; llama: all linear layers
                   with rank_pattern / alpha_pattern, rsLoRA; bert: regex target, SEQ_CLS with
                   the classifier in modules_to_save), ia3, prompt (prompt tuning, 3 virtual
                   tokens), prefix (prefix tuning, 3 virtual tokens; gpt2 also with
                   prefix_projection); LoRA with bias 'all' (gpt2) and 'lora_only' with
                   gaussian init (bert-seqcls); LoRA and prefix tuning for QUESTION_ANS (bert-qa)
  adapters/gpt2-lora-two/   two LoRA adapters saved together: 'default' there, 'second' in
                   second/ (expected.json's "multi")
  expected.json    library versions, texts, input ids and masks per model, and for LoRA / IA3
                   how far PEFT's own merge_and_unload moved the logits
  expected.safetensors   F32 logits: `<model>` of each base model, `adapters/<name>` of each
                   adapter (binary, so the fixtures stay small); question answering stores start
                   and end logits side by side, [batch, seq, 2]

Weights are re-drawn after init (norm weights 1 + 0.2 N, biases 0.1 N, matrices N / sqrt(fan_in),
embeddings 0.5 N) so logits are far from zero and a wrong op shows; every trainable adapter tensor
gets 0.2 N added (LoRA B starts at zero, IA3 at one). Everything is seeded and the script re-runs
itself with PYTHONHASHSEED=0: rerunning gives byte-identical files (with the versions recorded in
expected.json).

Environment (verified with Python 3.11.7, torch 2.13.0+cpu, transformers 5.18.0, peft 0.21.0,
tokenizers 0.23.2, safetensors 0.8.0; pip reads the local mirror):

    ~/.pyenv/versions/3.11.7/bin/python3 -m venv /work/.venv-hf
    /work/.venv-hf/bin/pip install torch transformers peft safetensors tokenizers
    /work/.venv-hf/bin/python scripts/golden/make_hf_real_fixtures.py [--out test/fixtures/hf-real]

The tests (test/models/hf-real.test.ts, test/peft/hf-real.test.ts) need no Python.
"""

import argparse
import json
import os
import re
import shutil
import sys

# PEFT keeps target_modules in a set: with Python's per-process string hashing its order in
# adapter_config.json would change from run to run.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable, *sys.argv])
# Everything is local: PEFT's save_pretrained would otherwise try to fetch the base model's config
# from the Hub (base_model_name_or_path is a relative name here).
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import peft
import safetensors
import safetensors.torch
import tokenizers
import torch
import transformers
from hf_real_common import logits_of, qa_logits_with_token_types, redraw
from peft import (
    IA3Config,
    LoraConfig,
    PrefixTuningConfig,
    PromptTuningConfig,
    get_peft_model,
)
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers import trainers
from transformers import (
    BertConfig,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GENERATOR = "scripts/golden/make_hf_real_fixtures.py"

TEXTS = ["Transfer learning works.", "Agents learn!"]
QA_PAIRS = [
    ("What moves knowledge?", "Transfer learning moves knowledge between tasks."),
    ("Who learns?", "Agents learn."),
]
CORPUS = [
    "Transfer learning moves knowledge from a source task to a target task.",
    "Multi-agent systems share experience; agents learn from each other.",
    "Low-rank adapters train a few parameters and leave the model frozen.",
    "Prompt tuning and prefix tuning prepend trained vectors to the input.",
    "The quick brown fox jumps over the lazy dog, 12 times in 2026.",
] * 4


def ids_json(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()]}


@torch.no_grad()
def perturb_adapter(model, gen, std=0.2):
    for _, p in model.named_parameters():
        if p.requires_grad:
            p.add_(std * torch.randn(p.shape, generator=gen))


# ---------------------------------------------------------------------------------------------
# tokenizers (trained here with the real `tokenizers`, so tokenizer.json is its own format)


def bpe_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer)
    return tok


# WordPieceTrainer's vocabulary changes from run to run (hash-map order in Rust), so the WordPiece
# vocabulary is listed: characters, their ## forms, and pieces that make greedy matching split.
WORDPIECES = (
    "transfer trans learn agent agents model models task tune tuning prompt prefix low rank "
    "##fer ##ing ##ning ##s ##er ##ers ##ed ##ent ##ents ##able ##ly ##ation"
).split()


def wordpiece_tokenizer():
    chars = sorted({c for text in CORPUS for c in text.lower() if not c.isspace()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *[f"##{c}" for c in chars]]
    vocab += [w for w in WORDPIECES if w not in vocab]
    # TEXTS' "!" is not in CORPUS, so the tests also see an unknown character become [UNK].
    tok = Tokenizer(models.WordPiece({v: i for i, v in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return tok


def fast(tok, **special_tokens):
    """transformers' tokenizer around it: save_pretrained writes tokenizer_config.json too."""
    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(tok.to_str()), model_max_length=64, **special_tokens
    )


def encode_batch(tok, pairs=None):
    """Right-padded [2, T] inputs of TEXTS (the second row shorter), as a user gets them; with
    pairs, (question, context) pairs with token_type_ids."""
    args = [TEXTS] if pairs is None else [list(x) for x in zip(*pairs)]
    enc = tok(*args, padding=True, return_token_type_ids=pairs is not None, return_tensors="pt")
    keep = ["input_ids", "attention_mask"] + (["token_type_ids"] if pairs else [])
    return {k: enc[k] for k in keep}


# ---------------------------------------------------------------------------------------------
# models


def build_models():
    out = {}
    eot = "<|endoftext|>"
    bpe = fast(bpe_tokenizer(), bos_token=eot, eos_token=eot, unk_token=eot, pad_token=eot)
    torch.manual_seed(0)
    gpt2 = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(bpe),
            n_positions=64,
            n_embd=32,
            n_layer=2,
            n_head=4,
            bos_token_id=0,
            eos_token_id=0,
            attn_implementation="eager",
        )
    )
    redraw(gpt2, torch.Generator().manual_seed(1))
    out["gpt2"] = dict(model=gpt2, tokenizer=bpe, inputs=encode_batch(bpe))

    wp = fast(
        wordpiece_tokenizer(),
        **{f"{r}_token": f"[{r.upper()}]" for r in ("unk", "pad", "cls", "sep", "mask")},
    )
    torch.manual_seed(0)
    bert = BertForSequenceClassification(
        BertConfig(
            vocab_size=len(wp),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=64,
            num_labels=3,
            id2label={0: "negative", 1: "neutral", 2: "positive"},
            label2id={"negative": 0, "neutral": 1, "positive": 2},
            pad_token_id=0,
            attn_implementation="eager",
        )
    )
    redraw(bert, torch.Generator().manual_seed(2))
    out["bert-seqcls"] = dict(model=bert, tokenizer=wp, inputs=encode_batch(wp))

    torch.manual_seed(0)
    qa = BertForQuestionAnswering(
        BertConfig(
            vocab_size=len(wp),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
            max_position_embeddings=64,
            pad_token_id=0,
            attn_implementation="eager",
        )
    )
    redraw(qa, torch.Generator().manual_seed(4))
    out["bert-qa"] = dict(model=qa, tokenizer=wp, inputs=encode_batch(wp, QA_PAIRS))

    torch.manual_seed(0)
    llama = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=120,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
            rope_theta=500000.0,
            rms_norm_eps=1e-5,
            tie_word_embeddings=False,
            bos_token_id=1,
            eos_token_id=2,
            pad_token_id=0,
            attn_implementation="eager",
        )
    )
    redraw(llama, torch.Generator().manual_seed(3))
    inputs = {
        "input_ids": torch.tensor([[1, 17, 42, 8, 23, 99, 5], [1, 61, 3, 9, 77, 0, 0]]),
        "attention_mask": torch.tensor([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0]]),
    }
    out["llama"] = dict(model=llama, tokenizer=None, inputs=inputs)
    for m in out.values():
        m["model"].eval()
    return out


# ---------------------------------------------------------------------------------------------
# adapters: (name, model key, config factory); every config written by the real peft


def adapter_specs():
    return [
        (
            "gpt2-lora",
            "gpt2",
            lambda: LoraConfig(
                task_type="CAUSAL_LM",
                r=4,
                lora_alpha=8,
                target_modules=["c_attn", "c_proj"],
                fan_in_fan_out=True,
                use_rslora=True,
                lora_dropout=0.0,
            ),
        ),
        (
            "llama-lora",
            "llama",
            lambda: LoraConfig(
                task_type="CAUSAL_LM",
                r=4,
                lora_alpha=8,
                target_modules=[
                    "q_proj",
                    "k_proj",
                    "v_proj",
                    "o_proj",
                    "gate_proj",
                    "up_proj",
                    "down_proj",
                ],
                rank_pattern={"layers.1.self_attn.q_proj": 2},
                alpha_pattern={"o_proj": 16},
                use_rslora=True,
                lora_dropout=0.0,
            ),
        ),
        (
            "bert-seqcls-lora",
            "bert-seqcls",
            lambda: LoraConfig(
                task_type="SEQ_CLS",
                r=4,
                lora_alpha=16,
                target_modules=r".*\.attention\.self\.(query|value)",
                lora_dropout=0.0,
            ),
        ),
        ("gpt2-ia3", "gpt2", lambda: IA3Config(task_type="CAUSAL_LM")),
        ("llama-ia3", "llama", lambda: IA3Config(task_type="CAUSAL_LM")),
        ("bert-seqcls-ia3", "bert-seqcls", lambda: IA3Config(task_type="SEQ_CLS")),
        (
            "gpt2-prompt",
            "gpt2",
            lambda: PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3),
        ),
        (
            "llama-prompt",
            "llama",
            lambda: PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3),
        ),
        (
            "bert-seqcls-prompt",
            "bert-seqcls",
            lambda: PromptTuningConfig(task_type="SEQ_CLS", num_virtual_tokens=3),
        ),
        (
            "gpt2-prefix",
            "gpt2",
            lambda: PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3),
        ),
        (
            "gpt2-prefix-projection",
            "gpt2",
            lambda: PrefixTuningConfig(
                task_type="CAUSAL_LM",
                num_virtual_tokens=3,
                prefix_projection=True,
                encoder_hidden_size=16,
            ),
        ),
        (
            "llama-prefix",
            "llama",
            lambda: PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3),
        ),
        (
            "bert-seqcls-prefix",
            "bert-seqcls",
            lambda: PrefixTuningConfig(task_type="SEQ_CLS", num_virtual_tokens=3),
        ),
        (
            "gpt2-lora-bias-all",
            "gpt2",
            lambda: LoraConfig(
                task_type="CAUSAL_LM", r=2, lora_alpha=4, target_modules=["c_attn"], bias="all"
            ),
        ),
        (
            "bert-seqcls-lora-bias-lora-only",
            "bert-seqcls",
            lambda: LoraConfig(
                task_type="SEQ_CLS",
                r=2,
                target_modules=["query", "value"],
                bias="lora_only",
                init_lora_weights="gaussian",
            ),
        ),
        (
            "bert-qa-lora",
            "bert-qa",
            lambda: LoraConfig(task_type="QUESTION_ANS", r=4, lora_alpha=8),
        ),
        (
            "bert-qa-prefix",
            "bert-qa",
            lambda: PrefixTuningConfig(task_type="QUESTION_ANS", num_virtual_tokens=3),
        ),
    ]


def two_adapters(out, m, logits):
    """Two LoRA adapters on one model: save_pretrained writes 'default' in the directory and the
    other in a subdirectory named after it."""
    base = GPT2LMHeadModel.from_pretrained(os.path.join(out, "gpt2"), attn_implementation="eager")
    base.name_or_path = "gpt2"
    torch.manual_seed(300)
    model = get_peft_model(base, LoraConfig(task_type="CAUSAL_LM", r=4, target_modules=["c_attn"]))
    model.add_adapter("second", LoraConfig(task_type="CAUSAL_LM", r=2, target_modules=["c_fc"]))
    gen = torch.Generator().manual_seed(301)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_" in n:  # the second adapter is not trainable until it is active
                p.add_(0.2 * torch.randn(p.shape, generator=gen))
    model.eval()
    model.save_pretrained(os.path.join(out, "adapters", "gpt2-lora-two"), safe_serialization=True)
    for name in ("default", "second"):
        model.set_adapter(name)
        key = "adapters/gpt2-lora-two" + ("" if name == "default" else f"/{name}")
        logits[key] = logits_of(model, m["inputs"])
    return {"model": "gpt2", "adapter_names": ["default", "second"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "hf-real"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "adapters"))

    built = build_models()
    logits = {}
    expected = {
        "generator": GENERATOR,
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "tokenizers": tokenizers.__version__,
            "safetensors": safetensors.__version__,
        },
        "texts": TEXTS,
        "qa_pairs": QA_PAIRS,
        "models": {},
        "adapters": {},
        "multi": {},
    }
    for key, m in built.items():
        d = os.path.join(args.out, key)
        m["model"].save_pretrained(d, safe_serialization=True)
        if m["tokenizer"] is not None:
            m["tokenizer"].save_pretrained(d)
        expected["models"][key] = {
            "architecture": type(m["model"]).__name__,
            **{k: ids_json(v) for k, v in m["inputs"].items()},
        }
        logits[key] = logits_of(m["model"], m["inputs"])

    for i, (name, key, make_config) in enumerate(adapter_specs()):
        m = built[key]
        # A fresh copy of the saved base model, so adapters never see each other's changes.
        base = type(m["model"]).from_pretrained(
            os.path.join(args.out, key), attn_implementation="eager"
        ).eval()
        torch.manual_seed(100 + i)
        config = make_config()
        # A relative name: the absolute path of the machine that ran this means nothing elsewhere
        # (get_peft_model copies the model's name_or_path into the config).
        base.name_or_path = key
        model = get_peft_model(base, config)
        perturb_adapter(model, torch.Generator().manual_seed(200 + i))
        model.eval()
        d = os.path.join(args.out, "adapters", name)
        model.save_pretrained(d, safe_serialization=True)
        entry = {"model": key, "peft_type": config.peft_type.value}
        logits[f"adapters/{name}"] = logits_of(model, m["inputs"])
        if "token_type_ids" in m["inputs"]:
            # peft 0.21's question-answering forward drops token_type_ids (hf_real_common.py):
            # keep what it computes under `<name>/peft-forward`, the real logits under `<name>`.
            entry["peft_forward_drops_token_type_ids"] = True
            logits[f"adapters/{name}/peft-forward"] = logits[f"adapters/{name}"]
            logits[f"adapters/{name}"] = qa_logits_with_token_types(model, m["inputs"])
        if config.peft_type.value in ("LORA", "IA3"):
            merged = logits_of(model.merge_and_unload(), m["inputs"])
            entry["peft_merged_max_abs_diff"] = float(
                (merged - logits[f"adapters/{name}"]).abs().max()
            )
        expected["adapters"][name] = entry

    expected["multi"] = {"gpt2-lora-two": two_adapters(args.out, built["gpt2"], logits)}

    safetensors.torch.save_file(
        {k: v.contiguous() for k, v in logits.items()},
        os.path.join(args.out, "expected.safetensors"),
        metadata={"generator": GENERATOR},
    )
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        text = json.dumps(expected, indent=1)
        # Number lists on one line each.
        text = re.sub(r"\[\s+([-\d.,\s]+?)\s+\]", lambda m: f"[{''.join(m[1].split())}]", text)
        f.write(text + "\n")
    total = 0
    for dirpath, _, files in os.walk(args.out):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f"wrote {args.out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
