"""Load adapters and models saved by Osmosis with the real peft / transformers and compare logits.

The other half of test/fixtures/hf-real (which checks that Osmosis reads what peft writes):

    npx tsx scripts/golden/make_osmosis_adapters.ts .tmp/osmosis-adapters
    /work/.venv-hf/bin/python scripts/golden/check_osmosis_adapters_in_peft.py .tmp/osmosis-adapters

For every adapter directory Osmosis wrote, PeftModel.from_pretrained on the fixture's base model
(loaded by transformers) must give Osmosis's logits within float32 tolerance (|a - b| <= 1e-4 +
1e-4 |b|), also after merge_and_unload for LoRA / IA3; every model directory Osmosis wrote must
load with transformers' from_pretrained without missing or unexpected weights and give the
fixture's base logits, and every tokenizer Osmosis saved must load with AutoTokenizer and encode
the fixture's texts to the fixture's ids. Exits 1 on any mismatch. Environment: see make_hf_real_fixtures.py.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import peft  # noqa: E402
import safetensors.torch  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from peft import PeftModel  # noqa: E402
from hf_real_common import logits_of, qa_logits_with_token_types  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForCausalLM,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "hf-real")


def auto(architecture):
    for suffix, cls in [
        ("ForSequenceClassification", AutoModelForSequenceClassification),
        ("ForQuestionAnswering", AutoModelForQuestionAnswering),
    ]:
        if architecture.endswith(suffix):
            return cls
    return AutoModelForCausalLM


def inputs(expected, model):
    m = expected["models"][model]
    names = ("input_ids", "attention_mask", "token_type_ids")
    return {k: torch.tensor(m[k]["data"]).reshape(m[k]["shape"]) for k in names if k in m}


def scaled_error(a, b):
    if a.shape != b.shape:
        return float("inf")
    return float(((a - b).abs() / (1e-4 + 1e-4 * b.abs())).max())


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".tmp/osmosis-adapters")
    torch.set_num_threads(1)
    with open(os.path.join(FIXTURES, "expected.json")) as f:
        expected = json.load(f)
    ours = safetensors.torch.load_file(os.path.join(out, "logits.safetensors"))
    fixture_logits = safetensors.torch.load_file(os.path.join(FIXTURES, "expected.safetensors"))
    versions = [("torch", torch), ("transformers", transformers), ("peft", peft)]
    print(", ".join(f"{n} {m.__version__}" for n, m in versions))
    failures = 0

    def report(label, err, note=""):
        nonlocal failures
        ok = err <= 1
        failures += not ok
        mark = "ok  " if ok else "FAIL"
        print(f"{mark} {label:<45} worst |diff| / (1e-4 + 1e-4|ref|) = {err:.4f}{note}")

    for name, spec in expected["adapters"].items():
        model = spec["model"]
        x = inputs(expected, model)
        base = auto(expected["models"][model]["architecture"]).from_pretrained(
            os.path.join(FIXTURES, model), attn_implementation="eager"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pm = PeftModel.from_pretrained(base, os.path.join(out, "adapters", name)).eval()
        noted = [str(w.message) for w in caught if "adapter" in str(w.message).lower()]
        # peft's question-answering forward drops token_type_ids (see hf_real_common.py).
        qa = spec.get("peft_forward_drops_token_type_ids")
        got = qa_logits_with_token_types(pm, x) if qa else logits_of(pm, x)
        want = ours[f"adapters/{name}"]
        report(f"adapter {name}", scaled_error(got, want), f"  warnings: {noted}" if noted else "")
        if spec["peft_type"] in ("LORA", "IA3"):
            merged = logits_of(pm.merge_and_unload(), x)
            report(f"adapter {name} (merge_and_unload)", scaled_error(merged, want))

    for model in expected["models"]:
        loaded, info = auto(expected["models"][model]["architecture"]).from_pretrained(
            os.path.join(out, "models", model),
            attn_implementation="eager",
            output_loading_info=True,
        )
        keys = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys")}
        err = scaled_error(logits_of(loaded.eval(), inputs(expected, model)), fixture_logits[model])
        report(f"model {model}", err if not keys else float("inf"), f"  {keys}" if keys else "")

    for model in expected["models"]:
        d = os.path.join(out, "models", model)
        if not os.path.exists(os.path.join(d, "tokenizer.json")):
            continue
        tok = AutoTokenizer.from_pretrained(d)
        pairs = model == "bert-qa"
        args = [list(x) for x in zip(*expected["qa_pairs"])] if pairs else [expected["texts"]]
        enc = tok(*args, padding=True, return_token_type_ids=pairs)
        want = expected["models"][model]
        same = all(
            [v for row in enc[k] for v in row] == want[k]["data"]
            for k in ("input_ids", "attention_mask", "token_type_ids")
            if k in want
        )
        failures += not same
        print(f"{'ok  ' if same else 'FAIL'} tokenizer {model:<35} ({type(tok).__name__})")

    print(f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
