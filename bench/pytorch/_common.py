"""Shared plumbing for the PyTorch reference benchmarks: arguments, thread setup, timing, environment.

The thread settings must be in place before torch (and through it OpenBLAS) is loaded, so every
benchmark calls `setup()` first and imports torch only through the module it returns.

Two independent thread pools matter with Debian's python3-torch:
  --threads N        torch.set_num_threads(N): torch's own OpenMP pool (elementwise ops, softmax,
                     layer norm, ...).
  --blas-threads N   OPENBLAS_NUM_THREADS=N: the pool OpenBLAS uses inside sgemm. Debian builds
                     torch with BLAS_INFO=generic, so torch never calls openblas_set_num_threads and
                     set_num_threads does not reach it; only the environment variable does.
"""

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time


def parse_args(description, steps, warmup):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    p.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="sets OPENBLAS_NUM_THREADS before torch loads (default: inherit the environment)",
    )
    p.add_argument("--steps", type=int, default=steps, help=f"timed steps (default {steps})")
    p.add_argument("--warmup", type=int, default=warmup, help=f"untimed steps first (default {warmup})")
    p.add_argument("--seed", type=int, default=0)
    return p


def setup(args):
    """Apply thread settings, then import torch. Returns the torch module."""
    if args.blas_threads is not None:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return torch


def median(values):
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def summarize(name, samples, unit, cpu_samples=None, **extra):
    """One record in the shape bench/harness.ts writes (BenchRecord), so both sides line up.

    `cpu_samples` are the same steps measured in process CPU time (all threads). On a machine
    shared with other work the wall clock stretches while the process waits for a core; CPU time
    does not, so for single-threaded variants (OPENBLAS_NUM_THREADS=1, torch 1 thread) the CPU
    median is the robust estimate of the quiet-machine wall time. With several threads it sums
    their work (and OpenBLAS's spin-waiting), so it is not an estimate of wall time.
    """
    digits = 4 if unit == "ms" else 2
    samples = [round(v, digits) for v in samples]
    rec = {
        "name": name,
        "backend": "pytorch",
        "median": round(median(samples), digits + 1),
        "unit": unit,
        "mean": round(sum(samples) / len(samples), digits + 1),
        "min": min(samples),
        "p10": percentile(samples, 0.1),
        "p90": percentile(samples, 0.9),
        "samples": samples,
    }
    if cpu_samples is not None:
        cpu_samples = [round(v, digits) for v in cpu_samples]
        rec["cpu_median"] = round(median(cpu_samples), digits + 1)
        rec["cpu_min"] = min(cpu_samples)
        rec["cpu_samples"] = cpu_samples
    rec.update(extra)
    return rec


def now():
    return time.perf_counter_ns()


def cpu_now():
    return time.process_time_ns()


def peak_rss_mb():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _loaded_blas_libs():
    libs = set()
    try:
        with open(f"/proc/{os.getpid()}/maps") as f:
            for line in f:
                path = line.split()[-1]
                if path.startswith("/") and any(k in path for k in ("blas", "lapack", "mkl")):
                    libs.add(path)
    except OSError:
        pass
    return sorted(libs)


def _dpkg_version(pkg):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _build_setting(config, key):
    m = re.search(r"\b" + re.escape(key) + r"=([^,\s]*)", config)
    return m.group(1) if m else None


def environment(torch, load_at_start):
    """Everything needed to tell two reference runs apart. Call after the timed work, so the
    BLAS library is already mapped into the process."""
    config = torch.__config__.show()
    libs = _loaded_blas_libs()
    blas_alt = "/usr/lib/x86_64-linux-gnu/libblas.so.3"
    env = {
        "torch": torch.__version__,
        "torch_deb": _dpkg_version("python3-torch"),
        "openblas_deb": _dpkg_version("libopenblas0-pthread"),
        "python": platform.python_version(),
        "torch_blas_info": _build_setting(config, "BLAS_INFO"),
        "libblas_so_3": os.path.realpath(blas_alt) if os.path.exists(blas_alt) else None,
        "blas_libs_loaded": libs,
        "openblas_loaded": any("openblas" in p for p in libs),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "torch_num_threads": torch.get_num_threads(),
        "torch_num_interop_threads": torch.get_num_interop_threads(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_start": list(load_at_start),
        "loadavg_end": list(os.getloadavg()),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if not env["openblas_loaded"]:
        # Debian's torch falls back to the reference BLAS silently, 15-30x slower: shout about it.
        print(
            "warning: OpenBLAS is not loaded; install libopenblas0-pthread and point the "
            "libblas.so.3-x86_64-linux-gnu alternative at it",
            file=sys.stderr,
        )
    return env


def emit(obj):
    json.dump(obj, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
