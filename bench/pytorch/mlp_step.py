#!/usr/bin/python3
"""Reference small-MLP training step: 4 -> 64 -> 64 -> 2 with tanh, batch 64, MSE, Adam.

Measures per-step overhead more than arithmetic: at this size the framework's dispatch is the
cost. Prints one JSON object with the median microseconds per step and peak RSS.
Optimizer: torch.optim.Adam(lr=1e-3), default betas and eps.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/mlp_step.py --threads 1
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

BATCH = 64
LR = 1e-3


def main():
    args = c.parse_args(__doc__.splitlines()[0], steps=2000, warmup=200).parse_args()
    load0 = os.getloadavg()
    torch = c.setup(args)
    nn = torch.nn
    F = torch.nn.functional

    model = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    g = torch.Generator().manual_seed(args.seed + 1)
    x = torch.randn(BATCH, 4, generator=g)
    y = torch.randn(BATCH, 2, generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss

    loss_first = step().item()
    for _ in range(args.warmup):
        step()
    samples, cpu = [], []
    for _ in range(args.steps):
        t0, p0 = c.now(), c.cpu_now()
        loss = step()
        p1, t1 = c.cpu_now(), c.now()
        samples.append((t1 - t0) / 1e3)
        cpu.append((p1 - p0) / 1e3)
    loss_last = loss.item()

    rss = c.peak_rss_mb()
    c.emit(
        {
            "benchmark": "mlp_step",
            "backend": "pytorch",
            "config": {
                "layers": [4, 64, 64, 2],
                "activation": "tanh",
                "batch": BATCH,
                "loss": "mse (mean)",
                "optimizer": "torch.optim.Adam lr=1e-3 betas=(0.9,0.999) eps=1e-8",
                "dtype": "float32",
                "steps": args.steps,
                "warmup": args.warmup,
                "threads": args.threads,
                "step_includes": "zero_grad(set_to_none=True), forward, loss, backward, Adam step (no .item())",
            },
            "peakRssMb": rss,
            "env": c.environment(torch, load0),
            "records": [
                c.summarize(
                    "mlp_step",
                    samples,
                    "us",
                    cpu_samples=cpu,
                    threads=args.threads,
                    peakRssMb=rss,
                    loss_first=loss_first,
                    loss_last=loss_last,
                )
            ],
        }
    )


if __name__ == "__main__":
    main()
