"""Paired training engine: plain and residual CIFAR-family nets trained side by side.

A comparison is a list of `RunConfig`s. `PairedTrainer.advance(max_seconds)` moves every run forward
by a slice of that time budget and returns, so a Streamlit fragment can call it on a timer and stop
or resume at any step; the whole state lives in the trainer object. Every run with the same seed sees
the same batches in the same order (the order is derived from the seed and the epoch only) and starts
from the same initial weights where the layers coincide, so the curves differ by architecture alone.

Recipe of He et al. 2016 (Sec. 4.2): SGD, momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at
50% and 75% of training (their 32k and 48k of 64k iterations), lr 0.01 warm-up for very deep nets
(110 layers and more) until the training error is below 80%.

Metrics: per step (loss, error, lr), per epoch (train loss/error averaged over the epoch as in the
paper's curves, test loss/error, seconds, images/s) and per-layer gradient norms at initialisation
and at the end of every epoch.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from core import zoo
from core.data import NUM_CLASSES, SHAPES, SIZES, Dataset, load_dataset
from core.errors import UserError

NETS = ("plain", "resnet")
MAX_DEPTH = 1202          # the deepest CIFAR net of the paper
MAX_WIDTH = 256
WARMUP_DEPTH = 110        # paper: warm-up for ResNet-110 and deeper
WARMUP_UNTIL_ERROR = 0.8
MAX_SECONDS = 24 * 3600   # refuse work estimated beyond a day on this machine


def default_lr(dataset: str) -> float:
    """The paper's 0.1 is for 64k iterations on CIFAR-10. The digits give ~90 steps in 8 epochs, and
    there 0.1 (and 0.05) threw ResNet-56 off in the first epoch for good (59.5% training error after
    8 epochs at batch 64, measured) while 0.02 trains every residual net of the demo."""
    return 0.02 if dataset == "digits" else 0.1


@dataclass
class RunConfig:
    net: str = "resnet"            # "plain" | "resnet"
    depth: int = 20                # 6n+2
    width: int = 16                # channels of stage 1 (x2, x4 in stages 2, 3)
    preact: bool = False           # pre-activation blocks (He et al., Identity mappings)
    shortcut: str = "A"            # "A" zero-pad | "B" 1x1 projection (only where shapes change)
    final_survival: float = 1.0    # stochastic depth: survival of the last block (1.0 = off)
    dataset: str = "digits"
    epochs: int = 8
    lr: float = 0.1
    batch_size: int = 128
    momentum: float = 0.9
    weight_decay: float = 1e-4
    seed: int = 0                  # initial weights, batch order and (digits) train/test split
    device: str = "auto"           # "auto" | "cpu" | "cuda"
    schedule: str = "step"         # "step" (/10 at 50% and 75%) | "cosine" | "constant"
    warmup: str = "auto"           # "auto" (depth >= 110) | "on" | "off": lr/10 until train error < 80%
    train_limit: int | None = None  # train on a seeded subset of this many images (big datasets on a CPU)

    @property
    def arch_name(self) -> str:
        return f"cifar-{self.net}-{self.depth}"

    @property
    def label(self) -> str:
        """Short legend name: 'plain-56', 'ResNet-110 (pre-act, B, w32)'."""
        extras = [e for e, on in (("pre-act", self.preact), ("B", self.shortcut == "B" and self.net == "resnet"),
                                  (f"w{self.width}", self.width != 16),
                                  (f"sd {self.final_survival:g}", self.final_survival < 1)) if on]
        base = f"{'ResNet' if self.net == 'resnet' else 'plain'}-{self.depth}"
        return f"{base} ({', '.join(extras)})" if extras else base

    @classmethod
    def from_arch(cls, name: str, **overrides) -> "RunConfig":
        match = zoo.CIFAR_NAME.match(name)
        if not match:
            raise UserError(f"{name!r} is not a CIFAR-family net; use cifar-plain-N or cifar-resnet-N")
        return cls(net=match[1], depth=int(match[2]), **overrides)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class History:
    steps: list[dict] = field(default_factory=list)       # step, epoch (fractional), loss, error, lr
    epochs: list[dict] = field(default_factory=list)      # epoch, train_loss, train_error, test_loss, ...
    grad_layers: list[str] = field(default_factory=list)  # weighted layers in forward order (index = depth)
    grad_norms: list[dict] = field(default_factory=list)  # step, epoch, norms (one per grad_layers entry)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(**{f.name: d.get(f.name, []) for f in fields(cls)})


@dataclass(frozen=True)
class Estimate:
    seconds: float        # training time on this machine (calibrated), all epochs
    memory_bytes: int     # weights + grads + momentum + activations kept for backward
    macs_per_image: int   # forward multiply-accumulates
    params: int

    def describe(self) -> str:
        return f"about {format_duration(self.seconds)} and {self.memory_bytes / 2**30:.2f} GiB of memory"


# ---------------------------------------------------------------- device

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


# ---------------------------------------------------------------- cost estimate (closed form)

def _conv_shapes(depth: int, width: int, in_channels: int, size: int):
    """(in_channels, out_channels, output side) of every 3x3 conv of CifarNet, in forward order."""
    n = (depth - 2) // 6
    shapes, channels = [(in_channels, width, size)], width
    for s, out in enumerate((width, 2 * width, 4 * width)):
        for i in range(n):
            if s > 0 and i == 0:
                size = (size + 1) // 2  # stride-2 3x3 conv, padding 1
            shapes += [(channels, out, size), (out, out, size)]
            channels = out
    return shapes


@lru_cache(maxsize=1)
def _machine_macs_per_second() -> float:
    """Calibrate once: time training steps of plain-20 on the digits' 8x8 images (the page's default
    scale; bigger images run at a higher rate, so estimates for them err on the long side)."""
    configure_cpu()
    model = zoo.build("cifar-plain-20", width=16, in_channels=1, num_classes=10).train()
    x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
    best = math.inf
    for _ in range(3):  # the first call also sets up kernels; keep the fastest
        start = time.perf_counter()
        F.cross_entropy(model(x), y).backward()
        best = min(best, time.perf_counter() - start)
    macs = sum(9 * i * o * s * s for i, o, s in _conv_shapes(20, 16, 1, 8)) * 64 * 3  # fwd + 2x bwd
    return macs / best


def estimate(config: RunConfig, shape: tuple[int, int, int], n_train: int, n_test: int,
             num_classes: int = 10) -> Estimate:
    """Closed-form time and memory of one run, without building the model (depth 5000 is fine)."""
    convs = _conv_shapes(config.depth, config.width, shape[0], shape[1])
    macs = sum(9 * i * o * s * s for i, o, s in convs) + 4 * config.width * num_classes
    params = sum(9 * i * o + 2 * o for i, o, _ in convs) + (4 * config.width + 1) * num_classes
    # conv, BN and ReLU outputs are kept for the backward pass: ~3 tensors per conv, float32
    activations = 3 * sum(o * s * s for _, o, s in convs) * min(config.batch_size, n_train) * 4
    memory = 3 * params * 4 + activations
    seconds = config.epochs * (3 * macs * n_train + macs * n_test) / _machine_macs_per_second()
    return Estimate(seconds=seconds, memory_bytes=memory, macs_per_image=macs, params=params)


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def _available_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 16 * 2**30


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
    if config.depth < 8 or (config.depth - 2) % 6:
        raise UserError(f"depth must be 6n+2 (8, 14, 20, 26, 32, 44, 56, 110, ...), got {config.depth}")
    for name in ("lr", "momentum", "weight_decay", "final_survival"):
        if not math.isfinite(getattr(config, name)):
            raise UserError(f"{name} must be a finite number, got {getattr(config, name)}")
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
    if cost.memory_bytes > 0.8 * _available_memory():
        raise UserError(f"too big for this machine ({_available_memory() / 2**30:.0f} GiB): {what}; "
                        f"lower the batch size, width or depth")
    on_cpu = config.device == "cpu" or (config.device == "auto" and not torch.cuda.is_available())
    if on_cpu and cost.seconds > MAX_SECONDS:  # the estimate is calibrated on the CPU
        raise UserError(f"too slow for this machine: {what}; lower epochs, depth or width")
    return cost


# ---------------------------------------------------------------- the engine

def build_model(config: RunConfig) -> nn.Module:
    """The untrained model a config describes, shaped for its dataset (eval mode, as zoo.build)."""
    return zoo.build(config.arch_name, width=config.width, in_channels=SHAPES[config.dataset][0],
                     num_classes=NUM_CLASSES, preact=config.preact, shortcut=config.shortcut,
                     final_survival=config.final_survival)


def epoch_plan(n: int, seed: int, epoch: int, augment: bool):
    """The batch order (and augmentation draws) of one epoch: a function of seed and epoch only,
    so every run of a comparison sees the same images in the same order."""
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    order = torch.randperm(n, generator=g)
    if not augment:
        return order, None, None
    flips = torch.rand(n, generator=g) < 0.5
    shifts = torch.randint(0, 9, (n, 2), generator=g)  # crop offsets into the 4-pixel padded image
    return order, flips, shifts


def augment_batch(x: torch.Tensor, flips: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Paper's CIFAR augmentation: pad 4, random 32x32 crop, random horizontal flip. x: (N, C, H, W)."""
    n, c, h, w = x.shape
    x = torch.where(flips.view(-1, 1, 1, 1), x.flip(3), x)
    padded = F.pad(x, (4, 4, 4, 4))                                    # (N, C, H+8, W+8)
    ar_h, ar_w = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
    rows = (shifts[:, 0:1] + ar_h).view(n, 1, h, 1).expand(n, c, h, w + 8)
    cols = (shifts[:, 1:2] + ar_w).view(n, 1, 1, w).expand(n, c, h, w)
    return padded.gather(2, rows).gather(3, cols)                      # (N, C, H, W)


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Conv and linear weights along the main path (shortcut projections left out), so the index of
    a layer is its depth: 1..depth for a CifarNet."""
    return [(name, m.weight) for name, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear)) and ".shortcut" not in name]


class LiveRun:
    """One run of a comparison: model, optimizer, position in the data, history so far."""

    def __init__(self, config: RunConfig, data: Dataset, device: torch.device):
        self.config, self.device = config, device
        torch.manual_seed(config.seed)  # same init for every run with this seed
        model = build_model(config).train()
        # channels_last: cuDNN's fast layout (tensor cores); on the CPU it measured no faster here
        self.memory_format = torch.channels_last if device.type == "cuda" else torch.contiguous_format
        self.model = model.to(device, memory_format=self.memory_format)
        decay = [p for p in model.parameters() if p.ndim > 1]  # no weight decay on BN and biases
        rest = [p for p in model.parameters() if p.ndim <= 1]
        self.optimizer = torch.optim.SGD([{"params": decay, "weight_decay": config.weight_decay},
                                          {"params": rest, "weight_decay": 0.0}],
                                         lr=config.lr, momentum=config.momentum)
        layers = weighted_layers(model)
        self.grad_params = [p for _, p in layers]
        self.history = History(grad_layers=[name for name, _ in layers])
        self.batch_size = min(config.batch_size, len(data.train_y))
        self.steps_per_epoch = len(data.train_y) // self.batch_size  # drop the last partial batch
        self.total_steps = self.steps_per_epoch * config.epochs
        self.step = 0
        self.seconds = 0.0           # this run's own compute time (runs of a comparison interleave)
        self.warming = config.warmup == "on" or (config.warmup == "auto" and config.depth >= WARMUP_DEPTH)
        self.warm_error = 1.0        # running mean of the batch error while warming up
        self.rng_state = torch.get_rng_state()  # stochastic depth draws stay per run
        self._plan = None
        self._epoch_sums = None      # [loss sum, error count (device tensors), images] of this epoch
        self._pending_steps: list = []
        self._pending_grads: list = []

    @property
    def done(self) -> bool:
        return self.step >= self.total_steps

    @property
    def epoch(self) -> int:
        return self.step // self.steps_per_epoch

    def lr_at(self, step: int) -> float:
        frac = step / max(1, self.total_steps)
        lr = self.config.lr
        if self.config.schedule == "step":
            lr *= 0.1 ** ((frac >= 0.5) + (frac >= 0.75))
        elif self.config.schedule == "cosine":
            lr *= 0.5 * (1 + math.cos(math.pi * frac))
        return lr * (0.1 if self.warming else 1.0)

    def train_step(self, data_x: torch.Tensor, data_y: torch.Tensor, augment: bool) -> None:
        pos = self.step % self.steps_per_epoch
        if pos == 0 or self._plan is None:
            self._plan = epoch_plan(len(data_y), self.config.seed, self.epoch, augment)
            self._epoch_sums = [torch.zeros((), device=self.device),
                                torch.zeros((), device=self.device, dtype=torch.long), 0]
        order, flips, shifts = self._plan
        idx = order[pos * self.batch_size:(pos + 1) * self.batch_size]
        x, y = data_x[idx.to(data_x.device)], data_y[idx.to(data_y.device)]   # (B, C, H, W), (B,)
        if flips is not None:
            x = augment_batch(x, flips[idx].to(x.device), shifts[idx].to(x.device))
        x = x.contiguous(memory_format=self.memory_format)
        lr = self.lr_at(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            logits = self.model(x)                                         # (B, classes)
            loss = F.cross_entropy(logits.float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        last_of_epoch = pos == self.steps_per_epoch - 1
        if self.step == 0 or last_of_epoch:  # gradient norms at init and at the end of every epoch
            norms = torch.stack(torch._foreach_norm([p.grad for p in self.grad_params]))
            self._pending_grads.append((self.step, norms))
        self.optimizer.step()
        errors = (logits.argmax(1) != y).sum()
        sums = self._epoch_sums
        sums[0] += loss.detach() * len(y)
        sums[1] += errors
        sums[2] += len(y)
        self._pending_steps.append((self.step, loss.detach(), errors, len(y), lr))
        if self.warming:  # the only per-step sync, and only during warm-up
            self.warm_error = 0.9 * self.warm_error + 0.1 * errors.item() / len(y)
            self.warming = self.warm_error >= WARMUP_UNTIL_ERROR
        self.step += 1

    def flush(self) -> None:
        """Turn pending device tensors into plain numbers (one sync per chunk, not per step)."""
        if self._pending_steps:
            losses = torch.stack([s[1] for s in self._pending_steps]).tolist()
            errors = torch.stack([s[2] for s in self._pending_steps]).tolist()
            for (step, _, _, n, lr), loss, err in zip(self._pending_steps, losses, errors):
                self.history.steps.append({"step": step + 1, "epoch": (step + 1) / self.steps_per_epoch,
                                           "loss": loss, "error": err / n, "lr": lr})
            self._pending_steps = []
        for step, norms in self._pending_grads:
            self.history.grad_norms.append({"step": step, "epoch": step / self.steps_per_epoch,
                                            "norms": norms.tolist()})
        self._pending_grads = []

    @torch.no_grad()
    def evaluate(self, x_all: torch.Tensor, y_all: torch.Tensor, batch: int = 1000) -> tuple[float, float]:
        self.model.eval()
        loss_sum, wrong = 0.0, 0
        for i in range(0, len(y_all), batch):
            x, y = x_all[i:i + batch], y_all[i:i + batch]
            x = x.contiguous(memory_format=self.memory_format)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
                logits = self.model(x).float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            wrong += (logits.argmax(1) != y).sum().item()
        self.model.train()
        return loss_sum / len(y_all), wrong / len(y_all)

    def end_epoch(self, test_x, test_y, train_seconds: float) -> dict:
        self.flush()
        loss_sum, wrong, images = self._epoch_sums
        test_loss, test_error = self.evaluate(test_x, test_y)
        row = {"epoch": self.epoch, "step": self.step, "train_loss": loss_sum.item() / images,
               "train_error": wrong.item() / images, "test_loss": test_loss, "test_error": test_error,
               "lr": self.lr_at(self.step - 1), "seconds": round(self.seconds, 3),
               "images_per_s": images / max(train_seconds, 1e-9)}
        self.history.epochs.append(row)
        return row


class PairedTrainer:
    """Trains a comparison in chunks. Keep it in session state; call `advance` until `done`."""

    def __init__(self, configs: list[RunConfig], data: Dataset | None = None, check: bool = True):
        if not configs:
            raise UserError("a comparison needs at least one run")
        first = configs[0]
        if any(c.dataset != first.dataset for c in configs):
            raise UserError("all runs of a comparison must use the same dataset")
        self.data = data or load_dataset(first.dataset, seed=first.seed, train_limit=first.train_limit)
        self.estimates = [check_config(c, self.data) for c in configs] if check else []
        self.device = resolve_device(first.device)
        if self.device.type == "cpu":
            configure_cpu()
        d = self.data
        self.train_x, self.train_y = d.train_x.to(self.device), d.train_y.to(self.device)
        self.test_x, self.test_y = d.test_x.to(self.device), d.test_y.to(self.device)
        self.runs = [LiveRun(c, d, self.device) for c in configs]
        self._epoch_seconds = [0.0] * len(self.runs)
        self.on_epoch = None  # optional callback(run_index, epoch_row)

    @property
    def done(self) -> bool:
        return all(r.done for r in self.runs)

    @property
    def fraction(self) -> float:
        return sum(r.step for r in self.runs) / max(1, sum(r.total_steps for r in self.runs))

    @property
    def eta_seconds(self) -> float | None:
        """Remaining time from each run's measured seconds per step (None before the first step)."""
        remaining = 0.0
        for r in self.runs:
            if r.done:
                continue
            if r.step == 0:
                return None
            remaining += r.seconds / r.step * (r.total_steps - r.step)
        return remaining

    def advance(self, max_seconds: float = 0.5) -> bool:
        """Train every unfinished run for its share of `max_seconds` (at least one step each);
        returns True once all runs are done."""
        active = [i for i, r in enumerate(self.runs) if not r.done]
        for i in active:
            self._advance_run(i, max_seconds / len(active))
        return self.done

    def _advance_run(self, i: int, budget: float) -> None:
        run = self.runs[i]
        torch.set_rng_state(run.rng_state)
        start = time.perf_counter()
        slice_start = start
        while not run.done:
            run.train_step(self.train_x, self.train_y, self.data.augment)
            if run.step % run.steps_per_epoch == 0:  # epoch boundary: time it, then evaluate
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
                now = time.perf_counter()
                run.seconds += now - slice_start
                self._epoch_seconds[i] += now - slice_start
                eval_start = now
                row = run.end_epoch(self.test_x, self.test_y, self._epoch_seconds[i])
                self._epoch_seconds[i] = 0.0
                slice_start = time.perf_counter()
                run.seconds += slice_start - eval_start
                run.history.epochs[-1]["seconds"] = round(run.seconds, 3)
                if self.on_epoch:
                    self.on_epoch(i, row)
            if time.perf_counter() - start >= budget:
                break
        run.flush()  # syncs the device, so the time below is real
        now = time.perf_counter()
        run.seconds += now - slice_start
        self._epoch_seconds[i] += now - slice_start
        run.rng_state = torch.get_rng_state()

    def results(self) -> list[tuple[RunConfig, nn.Module, History]]:
        return [(r.config, r.model, r.history) for r in self.runs]


def train(config: RunConfig, progress=None, data: Dataset | None = None) -> tuple[nn.Module, History]:
    """Train one run to the end. `progress(fraction, history)` is called about once a second.
    Returns the model (eval mode) and its history."""
    trainer = PairedTrainer([config], data)
    while not trainer.advance(max_seconds=1.0):
        if progress:
            progress(trainer.fraction, trainer.runs[0].history)
    if progress:
        progress(1.0, trainer.runs[0].history)
    run = trainer.runs[0]
    return run.model.eval(), run.history


def run_comparison(arch_names: list[str], save: bool = False, emit=print, json_lines: bool = False,
                   **overrides) -> list[int]:
    """The `python -m core train` command: train the named nets side by side, emitting one line
    (JSON object or text) per run per epoch as it completes; optionally keep the runs in the store.
    Returns the stored run ids."""
    import json

    configs = [RunConfig.from_arch(name.strip(), **overrides) for name in arch_names if name.strip()]
    trainer = PairedTrainer(configs)

    def on_epoch(i: int, row: dict) -> None:
        config = configs[i]
        if json_lines:
            emit(json.dumps({"run": config.arch_name, "label": config.label, **row}))
        else:
            emit(f"{config.label:<14} epoch {row['epoch']:>3}/{config.epochs}  loss {row['train_loss']:.3f}  "
                 f"train err {100 * row['train_error']:5.1f}%  test err {100 * row['test_error']:5.1f}%  "
                 f"{row['seconds']:6.1f} s  {row['images_per_s']:6.0f} img/s")

    trainer.on_epoch = on_epoch
    while not trainer.advance(max_seconds=2.0):
        pass
    if not save:
        return []
    from core.runs import RunStore

    store, tag = RunStore(), f"cli-{time.strftime('%Y%m%d-%H%M%S')}"
    return [store.save(config, history, model, comparison=tag) for config, model, history in trainer.results()]
