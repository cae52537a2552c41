"""Where training runs: the device, and a CPU set up for small deep nets."""

from __future__ import annotations

import math
import os
from functools import lru_cache

import torch

from core.errors import UserError


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("no CUDA GPU is available on this machine; choose device 'cpu' or 'auto'")
    if name not in ("cpu", "cuda"):
        raise UserError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    return torch.device(name)


@lru_cache(maxsize=1)
def configure_cpu() -> int:
    """Flush denormals: deep plain nets produce them, and a CPU was measured ~10x slower on a
    56-layer plain net without flushing. Threads: the cores this process may use, less those other
    processes keep busy (load average). On this 2-core machine the four-run demo took 30.5 s with
    2 threads and 42.8 s with 1 when quiet, but with the load at ~3, OpenMP threads waiting for each
    other made 2 threads over 5x slower than 1. `CONVATLAS_THREADS` overrides."""
    torch.set_flush_denormal(True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    threads = int(os.environ.get("CONVATLAS_THREADS", 0)) or max(1, min(cores, math.ceil(cores - busy + 0.5)))
    torch.set_num_threads(threads)
    return threads


def describe_machine() -> str:
    """Where a time was measured, in a few words: the CPU model and the threads in use (or the GPU)."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    threads = torch.get_num_threads()
    return f"{model or 'a CPU'}, {threads} thread{'s' if threads > 1 else ''}"
