#!/usr/bin/python3
"""Reference GPT training step: forward, mean cross-entropy over all positions, backward, Adam.

Model (bench/pytorch/gpt2_ref.py, Hugging Face GPT-2 parameter names): vocab 512, d_model 256,
4 layers, 4 heads, MLP 1024, sequence 128, batch 8, causal explicit-math attention, pre-LN blocks,
tanh-approximate GELU, learned positions, LM head tied to the token embedding, no dropout.
Optimizer: torch.optim.Adam(lr=3e-4), default betas (0.9, 0.999) and eps 1e-8.

Prints one JSON object: the median milliseconds per step over --steps steps after --warmup steps,
the medians of the three phases (forward+loss, backward, zero_grad+Adam) and peak RSS.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/gpt_step.py --threads 1
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

BATCH = 8
SEQ = 128
LR = 3e-4


def main():
    args = c.parse_args(__doc__.splitlines()[0], steps=30, warmup=5).parse_args()
    load0 = os.getloadavg()
    torch = c.setup(args)
    from gpt2_ref import GPT, GPTConfig, lm_loss

    cfg = GPTConfig(vocab_size=512, n_positions=SEQ, n_embd=256, n_layer=4, n_head=4, n_inner=1024)
    model = GPT(cfg)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    n_params = sum(p.numel() for p in model.parameters())

    g = torch.Generator().manual_seed(args.seed + 1)
    idx = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), generator=g)
    targets = torch.randint(0, cfg.vocab_size, (BATCH, SEQ), generator=g)

    def step():
        t0 = c.now()
        loss = lm_loss(model(idx), targets)
        t1 = c.now()
        loss.backward()
        t2 = c.now()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = c.now()
        return loss.item(), (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6

    losses = []
    for _ in range(args.warmup):
        losses.append(step()[0])
    total, cpu, fwd, bwd, upd = [], [], [], [], []
    for _ in range(args.steps):
        t0, p0 = c.now(), c.cpu_now()
        loss, f, b, u = step()
        p1, t1 = c.cpu_now(), c.now()
        total.append((t1 - t0) / 1e6)
        cpu.append((p1 - p0) / 1e6)
        losses.append(loss)
        fwd.append(f)
        bwd.append(b)
        upd.append(u)

    rss = c.peak_rss_mb()
    record = c.summarize(
        "gpt_step",
        total,
        "ms",
        cpu_samples=cpu,
        threads=args.threads,
        peakRssMb=rss,
        forward_ms=c.median(fwd),
        backward_ms=c.median(bwd),
        optimizer_ms=c.median(upd),
        tokens_per_s=BATCH * SEQ / (c.median(total) * 1e-3),
        loss_first=losses[0],
        loss_last=losses[-1],
    )
    c.emit(
        {
            "benchmark": "gpt_step",
            "backend": "pytorch",
            "config": {
                "vocab_size": cfg.vocab_size,
                "d_model": cfg.n_embd,
                "n_layer": cfg.n_layer,
                "n_head": cfg.n_head,
                "mlp": cfg.n_inner,
                "seq": SEQ,
                "batch": BATCH,
                "n_params": n_params,
                "attention": "explicit math softmax(QK^T/sqrt(d)) with causal mask (torch 1.13 has no SDPA)",
                "gelu": "tanh",
                "norm": "pre-LN, eps 1e-5",
                "tied_lm_head": True,
                "dropout": 0.0,
                "loss": "mean cross-entropy over all positions",
                "optimizer": "torch.optim.Adam lr=3e-4 betas=(0.9,0.999) eps=1e-8",
                "dtype": "float32",
                "steps": args.steps,
                "warmup": args.warmup,
                "threads": args.threads,
                "step_includes": "forward, loss, backward, Adam step, zero_grad(set_to_none=True), loss.item()",
            },
            "peakRssMb": rss,
            "env": c.environment(torch, load0),
            "records": [record],
        }
    )


if __name__ == "__main__":
    main()
