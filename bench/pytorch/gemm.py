#!/usr/bin/python3
"""Reference float32 GEMM timings: C = A @ B at 256/512/1024, and A @ B.T, A.T @ B at 512.

Prints one JSON object. Each case times single torch.mm calls into a preallocated output
(`out=`), so the number is the BLAS kernel plus torch's dispatch, not the allocator. The
transposed cases pass a transposed view: torch hands OpenBLAS a transpose flag, no copy is made.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench/pytorch/gemm.py --threads 1
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402


def main():
    args = c.parse_args(__doc__.splitlines()[0], steps=50, warmup=5).parse_args()
    load0 = os.getloadavg()
    torch = c.setup(args)

    cases = [
        ("nn_256", 256, "nn"),
        ("nn_512", 512, "nn"),
        ("nn_1024", 1024, "nn"),
        ("nt_512", 512, "nt"),  # A @ B.T
        ("tn_512", 512, "tn"),  # A.T @ B
    ]
    records = []
    for name, n, kind in cases:
        a = torch.randn(n, n, dtype=torch.float32)
        b = torch.randn(n, n, dtype=torch.float32)
        out = torch.empty(n, n, dtype=torch.float32)
        lhs = a.t() if kind == "tn" else a
        rhs = b.t() if kind == "nt" else b
        # Sanity: the timed call computes the product we claim it does.
        torch.mm(lhs, rhs, out=out)
        ref = (lhs.double() @ rhs.double()).float()
        assert torch.allclose(out, ref, rtol=1e-3, atol=1e-2), name
        for _ in range(args.warmup):
            torch.mm(lhs, rhs, out=out)
        samples, cpu = [], []
        for _ in range(args.steps):
            t0, p0 = c.now(), c.cpu_now()
            torch.mm(lhs, rhs, out=out)
            p1, t1 = c.cpu_now(), c.now()
            samples.append((t1 - t0) / 1e6)
            cpu.append((p1 - p0) / 1e6)
        flops = 2.0 * n * n * n
        med = c.median(samples)
        records.append(
            c.summarize(
                f"gemm_{name}",
                samples,
                "ms",
                cpu_samples=cpu,
                m=n,
                n=n,
                k=n,
                layout=kind,
                threads=args.threads,
                gflops=flops / (med * 1e-3) / 1e9,
                gflops_best=flops / (min(samples) * 1e-3) / 1e9,
                gflops_cpu=flops / (c.median(cpu) * 1e-3) / 1e9,
            )
        )

    c.emit(
        {
            "benchmark": "gemm",
            "backend": "pytorch",
            "config": {
                "dtype": "float32",
                "steps": args.steps,
                "warmup": args.warmup,
                "threads": args.threads,
                "out_preallocated": True,
                "layouts": {"nn": "A @ B", "nt": "A @ B.T", "tn": "A.T @ B"},
            },
            "peakRssMb": c.peak_rss_mb(),
            "env": c.environment(torch, load0),
            "records": records,
        }
    )


if __name__ == "__main__":
    main()
