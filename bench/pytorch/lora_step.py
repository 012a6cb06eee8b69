#!/work/.venv-hf/bin/python
"""Reference LoRA step cost: a PEFT LoRA training step next to the frozen base's forward+backward.

Twin of bench/lora-step.ts. Needs Hugging Face transformers and peft, so it runs in the venv at
/work/.venv-hf (torch 2.13 CPU wheel on MKL, transformers 5.18, peft 0.21), not in Debian's
python3 (torch 1.13 only):

    /work/.venv-hf/bin/python bench/pytorch/lora_step.py --threads 1

The model is transformers.GPT2LMHeadModel with the gpt-step shape (vocab 512, d_model 256,
4 layers, 4 heads, MLP 1024, n_positions 128, tanh GELU, no dropout, tied LM head), random
weights; batch 8, sequence 128, mean cross-entropy over all positions.

  frozen: every parameter has requires_grad False; inputs_embeds (the wte rows of the ids,
          computed once) is a leaf with requires_grad True, so backward runs through every block
          down to the input and computes no weight gradient. Nothing is updated.
  lora:   peft.get_peft_model with LoraConfig(r=8, lora_alpha=8, lora_dropout=0,
          target_modules=["c_attn"]) on a model with the same weights, the same inputs_embeds
          (not requiring grad), backward, Adam(lr=3e-4) on the LoRA parameters, zero_grad.

The steps alternate (frozen, lora, lora, frozen, ...) like the TypeScript twin. --attn picks
transformers' attention implementation: sdpa (its default; a fused CPU kernel) or eager (the
explicit math form, as bench/pytorch/gpt2_ref.py).
"""

import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

BATCH = 8
SEQ = 128
LR = 3e-4


def gpt_step_config(transformers, attn):
    cfg = transformers.GPT2Config(
        vocab_size=512,
        n_positions=SEQ,
        n_embd=256,
        n_layer=4,
        n_head=4,
        n_inner=1024,
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        tie_word_embeddings=True,
    )
    cfg._attn_implementation = attn
    return cfg


def main():
    p = c.parse_args(__doc__.splitlines()[0], steps=10, warmup=2)
    p.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    args = p.parse_args()
    load0 = os.getloadavg()
    torch = c.setup(args)
    import peft
    import transformers

    cfg = gpt_step_config(transformers, args.attn)
    frozen = transformers.GPT2LMHeadModel(cfg)
    frozen.train()
    frozen.requires_grad_(False)
    base = copy.deepcopy(frozen)
    lora = peft.get_peft_model(
        base,
        peft.LoraConfig(r=8, lora_alpha=8, lora_dropout=0.0, target_modules=["c_attn"]),
    )
    lora.train()
    trainable = [q for q in lora.parameters() if q.requires_grad]
    opt = torch.optim.Adam(trainable, lr=LR)

    g = torch.Generator().manual_seed(args.seed + 1)
    idx = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), generator=g)
    targets = torch.randint(0, cfg.vocab_size, (BATCH * SEQ,), generator=g)
    with torch.no_grad():
        embeds = frozen.transformer.wte(idx)
    leaf = embeds.clone().requires_grad_(True)
    ce = torch.nn.functional.cross_entropy

    def frozen_step():
        leaf.grad = None
        logits = frozen(inputs_embeds=leaf).logits
        loss = ce(logits.reshape(BATCH * SEQ, -1), targets)
        loss.backward()
        return loss.item()

    def lora_step():
        logits = lora(inputs_embeds=embeds).logits
        loss = ce(logits.reshape(BATCH * SEQ, -1), targets)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.item()

    def timed(fn):
        t0, p0 = c.now(), c.cpu_now()
        loss = fn()
        p1, t1 = c.cpu_now(), c.now()
        return (t1 - t0) / 1e6, (p1 - p0) / 1e6, loss

    for _ in range(args.warmup):
        frozen_step()
        lora_step()
    fz, fz_cpu, lo, lo_cpu = [], [], [], []
    for i in range(args.steps):
        order = [("f", frozen_step), ("l", lora_step)]
        for which, fn in order if i % 2 == 0 else reversed(order):
            wall, cpu, loss = timed(fn)
            (fz if which == "f" else lo).append(wall)
            (fz_cpu if which == "f" else lo_cpu).append(cpu)
            if which == "f":
                frozen_loss = loss
            else:
                lora_loss = loss

    rss = c.peak_rss_mb()
    f_rec = c.summarize("frozen_step", fz, "ms", cpu_samples=fz_cpu, loss=frozen_loss)
    l_rec = c.summarize("lora_step", lo, "ms", cpu_samples=lo_cpu, loss=lora_loss)
    c.emit(
        {
            "benchmark": "lora_step",
            "backend": "pytorch",
            "config": {
                "model": "transformers.GPT2LMHeadModel",
                "vocab_size": cfg.vocab_size,
                "d_model": cfg.n_embd,
                "n_layer": cfg.n_layer,
                "n_head": cfg.n_head,
                "mlp": cfg.n_inner,
                "seq": SEQ,
                "batch": BATCH,
                "attention": args.attn,
                "lora": "r=8 lora_alpha=8 lora_dropout=0 target_modules=[c_attn]",
                "trainable_params": sum(q.numel() for q in trainable),
                "optimizer": "torch.optim.Adam lr=3e-4 on the LoRA parameters",
                "frozen_step": "all parameters frozen, inputs_embeds requires grad; forward, loss, backward",
                "steps": args.steps,
                "warmup": args.warmup,
                "threads": args.threads,
                "transformers": transformers.__version__,
                "peft": peft.__version__,
            },
            "ratio": l_rec["median"] / f_rec["median"],
            "pair_ratio_median": c.median([a / b for a, b in zip(lo, fz)]),
            "cpu_ratio": l_rec["cpu_median"] / f_rec["cpu_median"],
            "peakRssMb": rss,
            "env": c.environment(torch, load0),
            "records": [f_rec, l_rec],
        }
    )


if __name__ == "__main__":
    main()
