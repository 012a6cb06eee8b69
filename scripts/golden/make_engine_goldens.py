#!/usr/bin/python3
"""Golden fixtures for Osmosis's tensor engine and GPT-2 twin, computed with PyTorch.

Writes into test/fixtures/golden/ (the tests read these files and need no Python):

  transformer_block.json   one pre-LN GPT-2 block (d 16, 2 heads, MLP 64, seq 5, batch 2,
                           tanh GELU, causal): input, parameters (GPT2Block names: ln_1.weight,
                           attn.c_attn.weight [in, out], ...), output, loss = sum(out * w), and the
                           gradients of that loss w.r.t. the input and every parameter, computed in
                           float64 and again in float32. Inputs and parameters are float32 values,
                           so both variants start from identical numbers.
  composites.json          composite ops in float64: cross_entropy (ignore_index, label
                           smoothing), log_softmax on an inner axis, layer_norm, kl_div batchmean,
                           huber, attention with a key padding mask, broadcast matmul, gather,
                           scatter_add, var (unbiased), logsumexp. Each case: inputs, output and
                           the gradients of sum(output * grad_output) w.r.t. each float input.
  tiny_gpt.safetensors     a 2-layer GPT-2 (vocab 64, d 32, 4 heads, MLP 128, 8 positions),
                           float32, Hugging Face names under `transformer.` (no lm_head.weight:
                           the head is tied to transformer.wte.weight).
  tiny_gpt.json            fixed input ids and targets, logits, mean cross-entropy loss, every
                           parameter's gradient norm and a few full gradients (float64 and
                           float32), and the losses along three Adam steps.

Tensors are {"dtype", "shape", "data"} with data flat in row-major order. Floats are written
with Python's repr, which round-trips float64 exactly (float32 values are exact in float64).
Boolean tensors hold 0/1. Deterministic: torch.manual_seed(0); the outputs are committed, so
rerunning on another torch build only needs to agree to rounding.

Usage (Debian: apt-get install python3-torch python3-numpy; torch is in the system Python):

    /usr/bin/python3 scripts/golden/make_engine_goldens.py [--out test/fixtures/golden]

JSON files are run through the repo's prettier (node_modules/.bin/prettier) when it exists, for
readable diffs; prettier only changes whitespace and number spelling (1e-05 -> 1e-5), never a
value (asserted). Without node the files hold the same values on one line.
"""

import argparse
import copy
import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "pytorch"))
from gpt2_ref import GPT, Block, GPTConfig, lm_loss  # noqa: E402

GENERATOR = "scripts/golden/make_engine_goldens.py"
F64 = torch.float64
F32 = torch.float32


# ---------------------------------------------------------------------------------------------
# serialization


def T(t):
    t = t.detach()
    if t.dtype == torch.bool:
        dtype, data = "bool", [int(v) for v in t.reshape(-1).tolist()]
    elif t.dtype in (torch.int64, torch.int32):
        dtype, data = str(t.dtype).replace("torch.", ""), [int(v) for v in t.reshape(-1).tolist()]
    else:
        dtype, data = str(t.dtype).replace("torch.", ""), t.double().reshape(-1).tolist()
        assert all(math.isfinite(v) for v in data), "non-finite value in a fixture"
    return {"dtype": dtype, "shape": list(t.shape), "data": data}


def write_json(path, doc, prettier=True):
    text = json.dumps(doc, allow_nan=False) + "\n"
    exe = os.path.join(ROOT, "node_modules", ".bin", "prettier")
    if prettier and os.path.exists(exe) and shutil.which("node"):
        # Through stdin under a neutral name, so the output does not depend on whether
        # .prettierignore lists test/fixtures: the same bytes either way.
        text = subprocess.run(
            [exe, "--stdin-filepath", "fixture.json"], input=text, cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert json.loads(text) == json.loads(json.dumps(doc)), "prettier changed a value"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer (the `safetensors` package is not in Debian 12): sorted keys,
    contiguous offsets, header padded with spaces to a multiple of 8."""
    codes = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * (-len(hjson) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_safetensors(path):
    import numpy as np

    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    kinds = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}
    out = {}
    for name, e in header.items():
        start, end = e["data_offsets"]
        arr = np.frombuffer(raw[8 + n + start : 8 + n + end], kinds[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def close(a, b, tol=1e-12):
    return torch.allclose(a, b, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------------------------
# transformer block


def randomize_block_(block):
    """Weights large enough that every nonlinearity is exercised: attention far from uniform,
    GELU away from its linear region, LayerNorm affine terms away from (1, 0)."""
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.startswith("ln_") and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape))
            else:  # Conv1D weight [in, out]
                p.copy_(torch.randn(p.shape) / math.sqrt(p.shape[0]))


def block_case(block32, x32, w32, dtype):
    blk = copy.deepcopy(block32).to(dtype)
    x = x32.to(dtype).clone().requires_grad_(True)
    w = w32.to(dtype)
    h1 = blk.ln_1(x)
    a = blk.attn(h1)
    x1 = x + a
    h2 = blk.ln_2(x1)
    pre = blk.mlp.c_fc(h2)
    out = x1 + blk.mlp.c_proj(F.gelu(pre, approximate="tanh"))
    assert close(out, blk(x), 1e-12 if dtype == F64 else 1e-6)
    inter = {"ln_1": h1, "attn": a, "residual_1": x1, "ln_2": h2, "mlp_pre_gelu": pre}
    loss = (out * w).sum()
    names = [n for n, _ in blk.named_parameters()]
    grads = torch.autograd.grad(loss, [x] + [p for _, p in blk.named_parameters()])
    res = {
        "output": T(out),
        "loss": loss.item(),
        "grad_input": T(grads[0]),
        "grad_params": {n: T(g) for n, g in zip(names, grads[1:])},
    }
    if dtype == F64:
        res["intermediates"] = {k: T(v) for k, v in inter.items()}
    return res


def make_transformer_block():
    cfg = GPTConfig(vocab_size=1, n_positions=5, n_embd=16, n_layer=1, n_head=2, n_inner=64)
    block = Block(cfg)
    randomize_block_(block)
    x = torch.randn(2, 5, 16)
    w = torch.randn(2, 5, 16)
    doc = {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "description": "One pre-LN GPT-2 block: out = x1 + mlp(ln_2(x1)), x1 = x + attn(ln_1(x)); "
        "attn is causal softmax(QK^T/sqrt(head_dim))V with c_attn split into q, k, v along the last "
        "axis; mlp = c_proj(gelu_tanh(c_fc(.))); Conv1D weights are [in, out]. "
        "loss = sum(output * loss_weights). input, params and loss_weights are float32 values; the "
        "float64 variant computes with them upcast to float64.",
        "config": {
            "batch": 2,
            "seq": 5,
            "d_model": 16,
            "n_head": 2,
            "mlp": 64,
            "layer_norm_epsilon": cfg.layer_norm_epsilon,
            "gelu": "tanh",
            "causal": True,
        },
        "param_names": [n for n, _ in block.named_parameters()],
        "input": T(x),
        "params": {n: T(p) for n, p in block.named_parameters()},
        "loss_weights": T(w),
        "float64": block_case(block, x, w, F64),
        "float32": block_case(block, x, w, F32),
    }
    return doc


# ---------------------------------------------------------------------------------------------
# composites


def composite(name, op, fn, inputs, args=None, check=None, note=None):
    """Runs fn(**inputs) in float64, takes gradients of sum(out * grad_output) w.r.t. every
    floating input. `check` is an independent restatement of the op, asserted to agree."""
    leaves = {k: (v.clone().requires_grad_(True) if v.is_floating_point() else v) for k, v in inputs.items()}
    out = fn(**leaves)
    go = torch.ones((), dtype=F64) if out.dim() == 0 else torch.randn(out.shape, dtype=F64)
    diff = [k for k, v in leaves.items() if v.is_floating_point()]
    grads = torch.autograd.grad((out * go).sum(), [leaves[k] for k in diff], allow_unused=True)
    if check is not None:
        expected = check(**{k: v.detach() for k, v in inputs.items()})
        assert close(out.detach(), expected, 1e-10), f"{name}: torch disagrees with the restatement"
    case = {
        "name": name,
        "op": op,
        "args": args or {},
        "inputs": {k: T(v) for k, v in inputs.items()},
        "output": T(out),
        "grad_output": T(go),
        "grads": {k: T(g if g is not None else torch.zeros_like(leaves[k])) for k, g in zip(diff, grads)},
    }
    if note:
        case["note"] = note
    return case


def ce_reference(logits, target, ignore_index, eps):
    logp = torch.log_softmax(logits, dim=-1)
    keep = target != ignore_index
    t = torch.where(keep, target, torch.zeros_like(target))
    nll = -logp.gather(1, t[:, None])[:, 0]
    smooth = -logp.mean(dim=1)
    per = (1 - eps) * nll + eps * smooth
    return per[keep].sum() / keep.sum()


def sdpa_reference(q, k, v, key_padding_mask):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    s = s.masked_fill(~key_padding_mask.bool()[:, None, None, :], float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def make_composites():
    r = lambda *s: torch.randn(*s, dtype=F64)  # noqa: E731
    cases = []

    logits = 2 * r(6, 5)
    target = torch.tensor([1, -100, 4, 0, -100, 2])
    cases.append(
        composite(
            "cross_entropy_ignore_index_label_smoothing",
            "F.cross_entropy(input, target, ignore_index=-100, label_smoothing=0.1, reduction='mean')",
            lambda input, target: F.cross_entropy(input, target, ignore_index=-100, label_smoothing=0.1),
            {"input": logits, "target": target},
            {"ignore_index": -100, "label_smoothing": 0.1, "reduction": "mean", "class_axis": 1},
            check=lambda input, target: ce_reference(input, target, -100, 0.1),
            note="mean over non-ignored rows of (1-eps)*nll + eps*mean_c(-log_softmax); ignored rows add 0",
        )
    )
    target2 = torch.tensor([2, 0, 2, 3, 1, 4])
    cases.append(
        composite(
            "cross_entropy_ignore_real_class",
            "F.cross_entropy(input, target, ignore_index=2, label_smoothing=0.2, reduction='mean')",
            lambda input, target: F.cross_entropy(input, target, ignore_index=2, label_smoothing=0.2),
            {"input": 2 * r(6, 5), "target": target2},
            {"ignore_index": 2, "label_smoothing": 0.2, "reduction": "mean", "class_axis": 1},
            check=lambda input, target: ce_reference(input, target, 2, 0.2),
        )
    )
    cases.append(
        composite(
            "log_softmax_inner_axis",
            "F.log_softmax(x, dim=1)",
            lambda x: F.log_softmax(x, dim=1),
            {"x": 3 * r(3, 4, 5)},
            {"dim": 1},
            check=lambda x: x - x.exp().sum(1, keepdim=True).log(),
        )
    )
    cases.append(
        composite(
            "layer_norm_affine",
            "F.layer_norm(x, [8], weight, bias, eps=1e-5)",
            lambda x, weight, bias: F.layer_norm(x, [8], weight, bias, eps=1e-5),
            {"x": 2 * r(2, 3, 8) + 0.5, "weight": 1 + 0.3 * r(8), "bias": 0.2 * r(8)},
            {"normalized_shape": [8], "eps": 1e-5},
            check=lambda x, weight, bias: (x - x.mean(-1, keepdim=True))
            / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + 1e-5)
            * weight
            + bias,
        )
    )
    cases.append(
        composite(
            "kl_div_batchmean",
            "F.kl_div(input, target, reduction='batchmean', log_target=False)",
            lambda input, target: F.kl_div(input, target, reduction="batchmean"),
            {"input": torch.log_softmax(r(4, 6), -1), "target": torch.softmax(r(4, 6), -1)},
            {"reduction": "batchmean", "log_target": False},
            check=lambda input, target: (target * (target.log() - input)).sum() / input.shape[0],
            note="input is log-probabilities, target probabilities; divides the sum by the batch size",
        )
    )
    hin, htar = r(3, 4), r(3, 4)
    cases.append(
        composite(
            "huber_loss",
            "F.huber_loss(input, target, reduction='mean', delta=0.5)",
            lambda input, target: F.huber_loss(input, target, delta=0.5),
            {"input": hin, "target": htar},
            {"delta": 0.5, "reduction": "mean"},
            check=lambda input, target: torch.where(
                (input - target).abs() < 0.5,
                0.5 * (input - target) ** 2,
                0.5 * ((input - target).abs() - 0.25),
            ).mean(),
        )
    )
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.bool)
    cases.append(
        composite(
            "attention_key_padding_mask",
            "softmax(q @ k^T / sqrt(8) masked where key_padding_mask == 0, dim=-1) @ v",
            sdpa_reference,
            {"q": r(2, 2, 4, 8), "k": r(2, 2, 5, 8), "v": r(2, 2, 5, 8), "key_padding_mask": mask},
            {"scale": 1 / math.sqrt(8), "layout": "[batch, heads, seq, head_dim]", "mask": "1 = attend, 0 = padding"},
            note="explicit math (torch 1.13 has no scaled_dot_product_attention); masked scores are "
            "-inf, so padded keys get exactly zero weight and zero gradient",
        )
    )
    cases.append(
        composite(
            "matmul_broadcast_batch",
            "torch.matmul(a, b)",
            torch.matmul,
            {"input": r(2, 1, 3, 4), "other": r(5, 4, 6)},
            {"output_shape": [2, 5, 3, 6]},
            check=lambda input, other: (input[..., :, :, None] * other[None, :, None, :, :]).sum(-2),
            note="batch dims broadcast [2,1] x [5] -> [2,5]; gradients are summed over broadcast dims",
        )
    )
    index = torch.tensor([[0, 2, 2, 4], [1, 1, 1, 0], [4, 3, 2, 1]])
    cases.append(
        composite(
            "gather",
            "torch.gather(x, 1, index)",
            lambda x, index: torch.gather(x, 1, index),
            {"x": r(3, 5), "index": index},
            {"dim": 1},
            note="repeated indices: the gradient accumulates",
        )
    )
    cases.append(
        composite(
            "scatter_add",
            "x.scatter_add(1, index, src)",
            lambda x, index, src: x.scatter_add(1, index, src),
            {"x": r(3, 5), "index": index, "src": r(3, 4)},
            {"dim": 1},
        )
    )
    cases.append(
        composite(
            "var_unbiased_dim",
            "torch.var(x, dim=1, unbiased=True)",
            lambda x: torch.var(x, dim=1, unbiased=True),
            {"x": r(4, 6) + 3},
            {"dim": 1, "unbiased": True, "keepdim": False},
            check=lambda x: ((x - x.mean(1, keepdim=True)) ** 2).sum(1) / (x.shape[1] - 1),
        )
    )
    cases.append(
        composite(
            "var_unbiased_all",
            "torch.var(x, unbiased=True)",
            lambda x: torch.var(x, unbiased=True),
            {"x": r(3, 4)},
            {"dim": None, "unbiased": True},
            check=lambda x: ((x - x.mean()) ** 2).sum() / (x.numel() - 1),
        )
    )
    lse_x = r(3, 4, 5)
    lse_x[0, :, 0] += 80  # large values: a naive exp-sum overflows nothing in float64 but loses digits
    lse_x[2, 1, :] -= 60
    cases.append(
        composite(
            "logsumexp_inner_axis",
            "torch.logsumexp(x, dim=1)",
            lambda x: torch.logsumexp(x, dim=1),
            {"x": lse_x},
            {"dim": 1, "keepdim": False},
            check=lambda x: x.max(1).values + (x - x.max(1, keepdim=True).values).exp().sum(1).log(),
        )
    )
    return {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "description": "Composite ops in float64. For each case: output = op(inputs); grads[k] = "
        "d sum(output * grad_output) / d inputs[k] for every floating input (grad_output is 1 for "
        "scalar outputs). Integer and bool inputs have no gradient.",
        "cases": cases,
    }


# ---------------------------------------------------------------------------------------------
# tiny GPT


TINY = GPTConfig(vocab_size=64, n_positions=8, n_embd=32, n_layer=2, n_head=4, n_inner=128)
FULL_GRADS = ["transformer.ln_f.weight", "transformer.h.0.ln_1.bias", "transformer.h.1.attn.c_attn.bias"]


def randomize_gpt_(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ln_" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape))
            elif name.endswith("bias"):
                p.copy_(0.05 * torch.randn(p.shape))
            elif name.endswith(("wte.weight", "wpe.weight")):
                p.copy_(0.3 * torch.randn(p.shape))
            else:
                p.copy_(torch.randn(p.shape) / math.sqrt(p.shape[0]))


def gpt_eval(model32, ids, targets, dtype):
    model = copy.deepcopy(model32).to(dtype)
    logits = model(ids)
    loss = lm_loss(logits, targets)
    names = [n for n, _ in model.named_parameters()]
    grads = dict(zip(names, torch.autograd.grad(loss, [p for _, p in model.named_parameters()])))
    return {
        "logits": T(logits),
        "loss": loss.item(),
        "grad_norms": {n: g.norm().item() for n, g in grads.items()},
        "grads": {n: T(grads[n]) for n in FULL_GRADS},
    }


def make_tiny_gpt(out_dir):
    model = GPT(TINY)
    randomize_gpt_(model)
    ids = torch.randint(0, TINY.vocab_size, (2, 8))
    targets = torch.cat([ids[:, 1:], torch.randint(0, TINY.vocab_size, (2, 1))], dim=1)

    st_path = os.path.join(out_dir, "tiny_gpt.safetensors")
    state = {n: p.detach().clone() for n, p in model.named_parameters()}
    write_safetensors(st_path, state, {"format": "pt", "generator": GENERATOR})
    # The file alone must reproduce the model: load it into a fresh GPT and compare.
    reloaded = GPT(TINY)
    reloaded.load_state_dict(read_safetensors(st_path), strict=True)
    with torch.no_grad():
        assert torch.equal(reloaded(ids), model(ids)), "tiny_gpt.safetensors does not round-trip"

    adam_model = copy.deepcopy(model).to(F64)
    opt = torch.optim.Adam(adam_model.parameters(), lr=1e-3)
    adam_losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = lm_loss(adam_model(ids), targets)
        adam_losses.append(loss.item())
        loss.backward()
        opt.step()
    adam_losses.append(lm_loss(adam_model(ids), targets).item())

    return {
        "generator": GENERATOR,
        "torch": torch.__version__,
        "description": "GPT-2 (bench/pytorch/gpt2_ref.py) loaded from tiny_gpt.safetensors (float32, "
        "HF names, LM head tied to transformer.wte.weight). logits = model(input_ids); loss = mean "
        "cross-entropy of logits against targets over all positions; grad_norms are L2 norms of "
        "d loss / d param. The float64 variant upcasts the float32 weights.",
        "config": {
            "vocab_size": TINY.vocab_size,
            "n_positions": TINY.n_positions,
            "n_embd": TINY.n_embd,
            "n_layer": TINY.n_layer,
            "n_head": TINY.n_head,
            "n_inner": TINY.n_inner,
            "layer_norm_epsilon": TINY.layer_norm_epsilon,
            "activation_function": "gelu_new",
            "tie_word_embeddings": True,
        },
        "weights": {
            "file": "tiny_gpt.safetensors",
            "sha256": sha256(st_path),
            "dtype": "F32",
            "names": sorted(state),
        },
        "input_ids": T(ids),
        "targets": T(targets),
        "float64": gpt_eval(model, ids, targets, F64),
        "float32": gpt_eval(model, ids, targets, F32),
        "adam": {
            "dtype": "float64",
            "optimizer": "torch.optim.Adam lr=1e-3 betas=(0.9,0.999) eps=1e-8 weight_decay=0",
            "steps": 3,
            "losses": adam_losses,
            "note": "losses[i] is the loss before step i; losses[3] is after the third step",
        },
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "golden"))
    p.add_argument("--no-prettier", action="store_true")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # reductions in a fixed order

    torch.manual_seed(0)
    write_json(os.path.join(args.out, "transformer_block.json"), make_transformer_block(), not args.no_prettier)
    torch.manual_seed(1)
    write_json(os.path.join(args.out, "composites.json"), make_composites(), not args.no_prettier)
    torch.manual_seed(2)
    write_json(os.path.join(args.out, "tiny_gpt.json"), make_tiny_gpt(args.out), not args.no_prettier)
    for f in sorted(os.listdir(args.out)):
        print(f"{f}: {os.path.getsize(os.path.join(args.out, f))} bytes")


if __name__ == "__main__":
    main()
