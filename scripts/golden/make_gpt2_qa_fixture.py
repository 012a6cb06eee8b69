"""A GPT2ForQuestionAnswering fixture written by the real Hugging Face `transformers`.

A tiny random-init model (vocab 64, hidden 16, 2 layers, 2 heads, 24 positions, weights re-drawn
as in make_hf_real_fixtures.py so every op moves the logits), saved with `save_pretrained`
(safetensors), and expected.json: fixed inputs (input_ids, attention_mask with right padding,
token_type_ids 0 for the question and 1 for the context, start/end positions, one of them past
the sequence so the loss ignores it, as HF clamps it) and what transformers computes for them in
float32: start and end logits, the span loss, the loss's exact gradient of qa_outputs and the
L2 norm of its gradient for every parameter. Floats are written with 9 significant digits.

Environment: the venv of make_hf_real_fixtures.py (transformers 5.18.0, torch 2.13.0+cpu):

    /work/.venv-hf/bin/python scripts/golden/make_gpt2_qa_fixture.py [--out test/fixtures/hf-real/gpt2-qa]

The test (test/models/gpt2-qa.test.ts) needs no Python.
"""

import argparse
import json
import os
import shutil

import torch
import transformers
from hf_real_common import redraw
from transformers import GPT2Config, GPT2ForQuestionAnswering

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def floats(t):
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def ints(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "test/fixtures/hf-real/gpt2-qa"))
    out = ap.parse_args().out
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=64,
        n_positions=24,
        n_embd=16,
        n_layer=2,
        n_head=2,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
        attn_implementation="eager",
    )
    model = GPT2ForQuestionAnswering(config)
    redraw(model, torch.Generator().manual_seed(5))
    model.eval()

    gen = torch.Generator().manual_seed(6)
    B, T = 2, 12
    input_ids = torch.randint(1, 64, (B, T), generator=gen)
    attention_mask = torch.ones(B, T, dtype=torch.long)
    attention_mask[1, 9:] = 0
    input_ids[1, 9:] = 0
    token_type_ids = torch.zeros(B, T, dtype=torch.long)
    token_type_ids[0, 4:] = 1
    token_type_ids[1, 3:9] = 1
    # Row 1's start lies past the sequence: clamped to T and ignored by the start loss.
    start_positions = torch.tensor([5, 40])
    end_positions = torch.tensor([7, 6])
    inputs = dict(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        start_positions=start_positions,
        end_positions=end_positions,
    )
    model.zero_grad()
    result = model(**inputs)
    result.loss.backward()

    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    model.save_pretrained(out, safe_serialization=True)
    expected = {
        "generator": "scripts/golden/make_gpt2_qa_fixture.py",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__},
        "inputs": {k: ints(v) for k, v in inputs.items()},
        "start_logits": floats(result.start_logits.detach()),
        "end_logits": floats(result.end_logits.detach()),
        "loss": float(f"{result.loss.item():.9g}"),
        "grad": {
            "qa_outputs.weight": floats(model.qa_outputs.weight.grad),
            "qa_outputs.bias": floats(model.qa_outputs.bias.grad),
        },
        "grad_norms": {
            name: float(f"{p.grad.norm().item():.9g}") for name, p in model.named_parameters()
        },
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
