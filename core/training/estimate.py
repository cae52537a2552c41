"""Before training: refuse impossible settings and estimate time and memory in closed form.

The estimate never builds the model (depth 5000 is fine); `tests/unit/test_train.py` checks its
MACs and parameters against `core.anatomy.profile` on the real net.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

from core.errors import UserError
from core.models import zoo
from core.models.cifar import DEPTH_RULE, blocks_per_stage, cifar_depth_ok
from core.training.config import MAX_DEPTH, MAX_WIDTH, NETS, RunConfig
from core.training.data import NUM_CLASSES, SHAPES, SIZES, Dataset
from core.training.device import configure_cpu
from core.units import format_duration

MAX_SECONDS = 24 * 3600  # refuse work estimated beyond a day on this machine
MAX_SEED = 2**32 - 1  # what every generator takes (numpy's limit; torch's is larger)
# a run's weights and its resume checkpoint (the momentum buffers: as big again) share one row of the
# run store: SQLite's default limit of 10^9 bytes holds for a whole row (not per value), PostgreSQL's
# bytea limit is 1 GB per value; so refuse before training what could not be kept
MAX_STORED_BYTES = 900 * 2**20


@dataclass(frozen=True)
class Estimate:
    seconds: float  # training time on this machine (calibrated), all epochs
    memory_bytes: int  # weights + grads + momentum + activations kept for backward
    macs_per_image: int  # forward multiply-accumulates
    params: int

    def describe(self) -> str:
        return f"about {format_duration(self.seconds)} and {self.memory_bytes / 2**30:.2f} GiB of memory"


def _conv_shapes(depth: int, width: int, in_channels: int, size: int):
    """(in_channels, out_channels, output side) of every 3x3 conv of CifarNet, in forward order."""
    n = blocks_per_stage(depth)
    shapes, channels = [(in_channels, width, size)], width
    for s, out in enumerate((width, 2 * width, 4 * width)):
        for i in range(n):
            if s > 0 and i == 0:
                size = (size + 1) // 2  # stride-2 3x3 conv, padding 1
            shapes += [(channels, out, size), (out, out, size)]
            channels = out
    return shapes


CALIBRATION_MACS = 2 * 10**9  # work per calibration pass (fwd + bwd): ~0.1 s on a laptop core
CALIBRATION_WIDTH = 16  # wider nets calibrate at 16: they use a CPU at least as well, so the estimate errs long


@lru_cache(maxsize=16)
def _machine_macs_per_second(channels: int, size: int, width: int, batch: int) -> float:
    """Calibrate once per input shape, width and batch: time training steps of plain-20 at exactly
    these (small images and narrow layers run far below the CPU's peak rate, so one calibration on
    8x8 digits put 32x32 runs at 5x their time)."""
    configure_cpu()
    model = zoo.build("cifar-plain-20", width=width, in_channels=channels, num_classes=10).train()
    g = torch.Generator().manual_seed(0)  # not the global generator: a training thread may be seeding it
    x = torch.randn(batch, channels, size, size, generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    best = math.inf
    for _ in range(6):  # the first calls also set up kernels and memory; keep the fastest
        start = time.perf_counter()
        F.cross_entropy(model(x), y).backward()
        best = min(best, time.perf_counter() - start)
    macs = sum(9 * i * o * s * s for i, o, s in _conv_shapes(20, width, channels, size)) * batch * 3  # fwd + 2x bwd
    return macs / best


def estimate(
    config: RunConfig, shape: tuple[int, int, int], n_train: int, n_test: int, num_classes: int = 10
) -> Estimate:
    """Closed-form time and memory of one run, without building the model (depth 5000 is fine)."""
    convs = _conv_shapes(config.depth, config.width, shape[0], shape[1])
    macs = sum(9 * i * o * s * s for i, o, s in convs) + 4 * config.width * num_classes
    params = sum(9 * i * o + 2 * o for i, o, _ in convs) + (4 * config.width + 1) * num_classes
    # conv, BN and ReLU outputs are kept for the backward pass: ~3 tensors per conv, float32
    activations = 3 * sum(o * s * s for _, o, s in convs) * min(config.batch_size, n_train) * 4
    memory = 3 * params * 4 + activations
    # calibrate at the run's batch, but with at most CALIBRATION_MACS of work per pass (wide nets on big
    # images would otherwise calibrate for seconds; a smaller batch runs slower, so they err long)
    width = min(config.width, CALIBRATION_WIDTH)
    per_image = sum(9 * i * o * s * s for i, o, s in _conv_shapes(20, width, shape[0], shape[1]))
    batch = max(1, min(config.batch_size, n_train, CALIBRATION_MACS // (3 * per_image)))
    rate = _machine_macs_per_second(shape[0], shape[1], width, batch)
    seconds = config.epochs * (3 * macs * n_train + macs * n_test) / rate
    return Estimate(seconds=seconds, memory_bytes=memory, macs_per_image=macs, params=params)


def _available_memory() -> int:
    """Memory free for new work now (MemAvailable), not the machine's physical total."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        return 4 * 2**30


def check_comparison(configs: list[RunConfig], data: Dataset | None = None) -> list[Estimate]:
    """check_config of every run, then the whole comparison (its runs train side by side, so their
    memory adds up) against the memory free now; the message states the total."""
    estimates = [check_config(c, data) for c in configs]
    total = sum(e.memory_bytes for e in estimates)
    free = _available_memory()
    if len(configs) > 1 and total > 0.8 * free:
        raise UserError(
            f"the {len(configs)} runs together would need {total / 2**30:.1f} GiB of memory and "
            f"{free / 2**30:.1f} GiB is free; lower the batch size, width or depth"
        )
    return estimates


def check_config(config: RunConfig, data: Dataset | None = None) -> Estimate:
    """Refuse impossible or absurd settings with one sentence that states the estimated cost.
    Without `data`, the dataset's known shape and size are used (nothing is loaded)."""
    if config.dataset not in SHAPES:
        raise UserError(f"unknown dataset {config.dataset!r}; choose one of {', '.join(SHAPES)}")
    if config.net not in NETS:
        raise UserError(f"net must be 'plain' or 'resnet', got {config.net!r}")
    for name in ("depth", "width", "epochs", "batch_size"):
        if not isinstance(getattr(config, name), int) or getattr(config, name) < 1:
            raise UserError(f"{name} must be a positive whole number, got {getattr(config, name)!r}")
    if not cifar_depth_ok(config.depth):
        raise UserError(f"depth must be {DEPTH_RULE}, got {config.depth}")
    for name in ("lr", "momentum", "weight_decay", "final_survival"):
        if not math.isfinite(getattr(config, name)):
            raise UserError(f"{name} must be a finite number, got {getattr(config, name)}")
    if isinstance(config.seed, bool) or not isinstance(config.seed, int) or not 0 <= config.seed <= MAX_SEED:
        raise UserError(f"seed must be a whole number from 0 to {MAX_SEED:,}, got {config.seed!r}")
    if not 0 <= config.momentum < 1:
        raise UserError(f"momentum must be in [0, 1), got {config.momentum:g}")
    if not 0 <= config.weight_decay <= 1:
        raise UserError(f"weight_decay must be in [0, 1], got {config.weight_decay:g}")
    if config.train_limit is not None and (not isinstance(config.train_limit, int) or config.train_limit < 1):
        raise UserError(f"train_limit must be a positive whole number (or none), got {config.train_limit!r}")
    if not 0 < config.lr <= 10:
        raise UserError(f"learning rate must be in (0, 10], got {config.lr:g}")
    if not 0 < config.final_survival <= 1:
        raise UserError(f"final_survival must be in (0, 1], got {config.final_survival:g}")
    if config.shortcut not in ("A", "B"):
        raise UserError(f"shortcut must be 'A' or 'B', got {config.shortcut!r}")
    if config.schedule not in ("step", "cosine", "constant"):
        raise UserError(f"schedule must be 'step', 'cosine' or 'constant', got {config.schedule!r}")
    if config.warmup not in ("auto", "on", "off"):
        raise UserError(f"warmup must be 'auto', 'on' or 'off', got {config.warmup!r}")
    if data is None:
        n_train, n_test = SIZES[config.dataset]
        n_train = min(n_train, config.train_limit or n_train)
        cost = estimate(config, SHAPES[config.dataset], n_train, n_test, NUM_CLASSES)
    else:
        cost = estimate(config, data.shape, len(data.train_y), len(data.test_y), data.num_classes)
    what = f"{config.label} for {config.epochs} epochs on {config.dataset} would need {cost.describe()}"
    if config.depth > MAX_DEPTH:
        raise UserError(f"depth {config.depth} is beyond the {MAX_DEPTH}-layer maximum: {what}")
    if config.width > MAX_WIDTH:
        raise UserError(f"width {config.width} is beyond the maximum of {MAX_WIDTH}: {what}")
    if 8 * cost.params > MAX_STORED_BYTES:  # float32 weights and as many momentum values in the checkpoint;
        # checked before memory: no machine can keep it, a bigger one could train it
        raise UserError(
            f"too big to keep: {config.label}'s {cost.params / 1e6:,.0f}M parameters are "
            f"{4 * cost.params / 2**30:.2f} GiB of weights and as much again of resume checkpoint, beyond "
            f"the run store's {MAX_STORED_BYTES / 2**30:.2f} GiB per run; lower the width or depth"
        )
    if cost.memory_bytes > 0.8 * _available_memory():
        raise UserError(
            f"too big for the memory free now ({_available_memory() / 2**30:.1f} GiB): {what}; "
            f"lower the batch size, width or depth"
        )
    on_cpu = config.device == "cpu" or (config.device == "auto" and not torch.cuda.is_available())
    if on_cpu and cost.seconds > MAX_SECONDS:  # the estimate is calibrated on the CPU
        raise UserError(f"too slow for this machine: {what}; lower epochs, depth or width")
    return cost
