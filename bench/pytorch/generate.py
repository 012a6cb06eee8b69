#!/work/.venv-hf/bin/python
"""Reference greedy generation: tokens/s with and without the KV cache, batch 1.

Twin of bench/generate.ts. Uses Hugging Face transformers' GPT2LMHeadModel.generate, so it runs
in the venv at /work/.venv-hf (torch 2.13 CPU wheel on MKL, transformers 5.18), not in Debian's
python3 (torch 1.13 only):

    /work/.venv-hf/bin/python bench/pytorch/generate.py --threads 1

The model is the gpt-step shape with 256 positions (vocab 512, d_model 256, 4 layers, 4 heads,
MLP 1024, tanh GELU, tied LM head), random weights, eval mode. A 32-token prompt, 128 new tokens
by greedy decoding (do_sample=False; min_new_tokens=128 so no end token stops it early), with
use_cache=True and, for contrast, use_cache=False. One sample is one generate call, prefill
included; runs alternate (cache, no cache, ...) like the TypeScript twin.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as c  # noqa: E402

PROMPT = 32
NEW = 128


def main():
    p = c.parse_args(__doc__.splitlines()[0], steps=5, warmup=1)
    p.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    args = p.parse_args()
    load0 = os.getloadavg()
    torch = c.setup(args)
    import transformers

    cfg = transformers.GPT2Config(
        vocab_size=512,
        n_positions=256,
        n_embd=256,
        n_layer=4,
        n_head=4,
        n_inner=1024,
        activation_function="gelu_new",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
    )
    cfg._attn_implementation = args.attn
    model = transformers.GPT2LMHeadModel(cfg).eval()
    g = torch.Generator().manual_seed(args.seed + 1)
    prompt = torch.randint(1, cfg.vocab_size, (1, PROMPT), generator=g)
    mask = torch.ones_like(prompt)

    def run(use_cache):
        p0 = c.cpu_now()
        t0 = c.now()
        with torch.inference_mode():
            out = model.generate(
                prompt,
                attention_mask=mask,
                do_sample=False,
                max_new_tokens=NEW,
                min_new_tokens=NEW,
                use_cache=use_cache,
            )
        ms = (c.now() - t0) / 1e6
        cpu_ms = (c.cpu_now() - p0) / 1e6
        return ms, cpu_ms, out[0, PROMPT:].tolist()

    for _ in range(args.warmup):
        run(True)
        run(False)
    cached, uncached, cached_cpu, uncached_cpu = [], [], [], []
    same = True
    for _ in range(args.steps):
        a, a_cpu, ta = run(True)
        b, b_cpu, tb = run(False)
        cached.append(a)
        uncached.append(b)
        cached_cpu.append(a_cpu)
        uncached_cpu.append(b_cpu)
        same = same and len(ta) == NEW and ta == tb

    def rate(ms):
        return NEW / (ms / 1000)

    rss = c.peak_rss_mb()
    # cpu_samples: tokens per second of process CPU time (the steadier rate for one thread).
    rec_c = c.summarize(
        "generate_cache",
        [rate(v) for v in cached],
        "tokens/s",
        cpu_samples=[rate(v) for v in cached_cpu],
        ms_median=c.median(cached),
    )
    rec_n = c.summarize(
        "generate_no_cache",
        [rate(v) for v in uncached],
        "tokens/s",
        cpu_samples=[rate(v) for v in uncached_cpu],
        ms_median=c.median(uncached),
    )
    c.emit(
        {
            "benchmark": "generate",
            "backend": "pytorch",
            "config": {
                "model": "transformers.GPT2LMHeadModel",
                "vocab_size": cfg.vocab_size,
                "n_positions": cfg.n_positions,
                "d_model": cfg.n_embd,
                "n_layer": cfg.n_layer,
                "n_head": cfg.n_head,
                "mlp": cfg.n_inner,
                "attention": args.attn,
                "prompt_tokens": PROMPT,
                "new_tokens": NEW,
                "batch": 1,
                "decoding": "greedy, model.generate under torch.inference_mode",
                "steps": args.steps,
                "warmup": args.warmup,
                "threads": args.threads,
                "transformers": transformers.__version__,
            },
            "cache_speedup": c.median(uncached) / c.median(cached),
            "same_tokens": same,
            "peakRssMb": rss,
            "env": c.environment(torch, load0),
            "records": [rec_c, rec_n],
        }
    )


if __name__ == "__main__":
    main()
