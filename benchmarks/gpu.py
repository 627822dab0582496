"""The GPU benchmark: tinynn on CuPy against PyTorch CUDA eager, same model code, same GPU, one run.

    python benchmarks/gpu.py                 # GPT (nanoGPT's GPU character config), W_mlp, W_cnn
    python benchmarks/gpu.py --steps 10      # fewer timed steps
    python benchmarks/gpu.py --json out.json

Workloads (benchmarks/workloads.py, written once against the PyTorch API), all float32:
    GPT     6 layers, 6 heads, width 384, block 256, batch 64, vocab 65 (nanoGPT shakespeare_char)
    W_mlp   784-512-256-10 MLP at batch 4096
    W_cnn   LeNet-5 at batch 1024

Timing: each engine warms up (CuPy compiles its kernels on first use; PyTorch picks its cuBLAS and
cuDNN algorithms), then every timed step is bracketed by ``synchronize()`` so the GPU's queued work
is inside the measurement; engines alternate step by step and the median is reported. TF32 is off
on both sides (PyTorch: ``allow_tf32 = False`` for matmul and cuDNN; CuPy's cuBLAS does not use
TF32 unless ``CUPY_TF32=1``), so both do true float32 arithmetic.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads  # noqa: E402

GPT_GPU = dict(layers=6, heads=6, width=384, block=256, vocab=65, batch=64)
CASES = {"GPT": ("W_gpt", GPT_GPU), "W_mlp": ("W_mlp", dict(batch=4096)), "W_cnn": ("W_cnn", dict(batch=1024))}


def engines():
    import tinynn

    found = {"tinynn": (tinynn, tinynn.cuda.synchronize)}
    try:
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        if torch.cuda.is_available():
            found["torch"] = (torch, torch.cuda.synchronize)
    except ImportError:
        pass
    return found


def time_case(name: str, steps: int, warmup: int) -> dict:
    workload_name, sizes = CASES[name]
    runs = {}
    for engine, (lib, sync) in engines().items():
        runs[engine] = (workloads.to_device(workloads.make(workload_name, lib, **sizes), "cuda"), sync)
    times = {engine: [] for engine in runs}
    losses = {}
    for engine, (workload, sync) in runs.items():
        for _ in range(warmup):
            losses[engine] = float(workload.step().item())
        sync()
    for _ in range(steps):
        for engine, (workload, sync) in runs.items():
            sync()
            start = time.perf_counter()
            workload.step()
            sync()
            times[engine].append(time.perf_counter() - start)
    result = {"case": name, "sizes": sizes, "steps": steps}
    for engine, samples in times.items():
        result[f"{engine}_ms"] = 1000 * statistics.median(samples)
        result[f"{engine}_loss_after_warmup"] = losses[engine]
    if "torch_ms" in result:
        result["ratio"] = result["tinynn_ms"] / result["torch_ms"]
    return result


def profile(name: str, steps: int) -> None:
    """Where tinynn's time goes in one case on the GPU (host-side Python; GPU work shows as the
    synchronize at the end of each step)."""
    import cProfile
    import pstats

    import tinynn

    workload_name, sizes = CASES[name]
    workload = workloads.to_device(workloads.make(workload_name, tinynn, **sizes), "cuda")
    for _ in range(3):
        workload.step()
    tinynn.cuda.synchronize()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        workload.step()
        tinynn.cuda.synchronize()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(25)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--profile", choices=list(CASES), help="cProfile tinynn's step of this case instead")
    args = parser.parse_args(argv)
    import tinynn

    if not tinynn.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA GPU with CuPy here (pip install 'tinynn-edu[gpu]' on a GPU machine)")
        return 0
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    print(f"GPU: {props['name'].decode()}  CuPy {cupy.__version__}")
    if args.profile:
        profile(args.profile, args.steps)
        return 0
    results = []
    print(f"{'workload':10s} {'tinynn ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name in args.cases:
        r = time_case(name, args.steps, args.warmup)
        results.append(r)
        torch_ms = f"{r['torch_ms']:10.2f}" if "torch_ms" in r else f"{'-':>10s}"
        ratio = f"{r['ratio']:7.2f}" if "ratio" in r else f"{'-':>7s}"
        print(f"{name:10s} {r['tinynn_ms']:10.2f} {torch_ms} {ratio}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gpu": props["name"].decode(), "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
