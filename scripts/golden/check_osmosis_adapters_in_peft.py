"""Load adapters and models saved by Osmosis with the real peft / transformers and compare logits.

The other half of test/fixtures/hf-real (which checks that Osmosis reads what peft writes):

    npx tsx scripts/golden/make_osmosis_adapters.ts .tmp/osmosis-adapters
    /work/.venv-hf/bin/python scripts/golden/check_osmosis_adapters_in_peft.py .tmp/osmosis-adapters

For every adapter directory Osmosis wrote, PeftModel.from_pretrained on the fixture's base model
(loaded by transformers) must give Osmosis's logits within float32 tolerance (|a - b| <= 1e-4 +
1e-4 |b|), also after merge_and_unload for LoRA / IA3; every model directory Osmosis wrote must
load with transformers' from_pretrained without missing or unexpected weights and give the
fixture's base logits. Exits 1 on any mismatch. Environment: see make_hf_real_fixtures.py.
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
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "hf-real")


def auto(model):
    return AutoModelForSequenceClassification if model.startswith("bert") else AutoModelForCausalLM


def inputs(expected, model):
    m = expected["models"][model]
    t = lambda j: torch.tensor(j["data"]).reshape(j["shape"])  # noqa: E731
    return t(m["input_ids"]), t(m["attention_mask"])


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
        ids, mask = inputs(expected, model)
        base = auto(model).from_pretrained(
            os.path.join(FIXTURES, model), attn_implementation="eager"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pm = PeftModel.from_pretrained(base, os.path.join(out, "adapters", name)).eval()
        noted = [str(w.message) for w in caught if "adapter" in str(w.message).lower()]
        with torch.no_grad():
            got = pm(input_ids=ids, attention_mask=mask).logits
        want = ours[f"adapters/{name}"]
        report(f"adapter {name}", scaled_error(got, want), f"  warnings: {noted}" if noted else "")
        if spec["peft_type"] in ("LORA", "IA3"):
            with torch.no_grad():
                merged = pm.merge_and_unload()(input_ids=ids, attention_mask=mask).logits
            report(f"adapter {name} (merge_and_unload)", scaled_error(merged, want))

    for model in expected["models"]:
        ids, mask = inputs(expected, model)
        loaded, info = auto(model).from_pretrained(
            os.path.join(out, "models", model),
            attn_implementation="eager",
            output_loading_info=True,
        )
        keys = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys")}
        with torch.no_grad():
            got = loaded.eval()(input_ids=ids, attention_mask=mask).logits
        err = scaled_error(got, fixture_logits[model])
        report(f"model {model}", err if not keys else float("inf"), f"  {keys}" if keys else "")

    print(f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
