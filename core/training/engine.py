"""Paired training engine: plain and residual CIFAR-family nets trained side by side.

A comparison is a list of `RunConfig`s. `PairedTrainer.advance(max_seconds)` moves every run forward
by a slice of that time budget and returns, so a Streamlit fragment can call it on a timer and stop
or resume at any step; the whole state lives in the trainer object. Every run with the same seed sees
the same batches in the same order (the order is derived from the seed and the epoch only) and starts
from the same initial weights where the layers coincide, so the curves differ by architecture alone.

Metrics: per step (loss, error, lr), per epoch (train loss/error averaged over the epoch as in the
paper's curves, test loss/error, seconds, images/s) and per-layer gradient norms at initialisation
and at the end of every epoch.
"""

from __future__ import annotations

import math
import threading
import time
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from core.errors import UserError
from core.models import zoo
from core.training.config import WARMUP_DEPTH, WARMUP_UNTIL_ERROR, History, RunConfig
from core.training.data import NUM_CLASSES, SHAPES, Dataset, load_dataset
from core.training.device import configure_cpu, resolve_device
from core.training.estimate import check_comparison

_DEFAULT_GENERATOR = threading.Lock()  # torch's default generator is one per process, shared by every thread


@contextmanager
def seeded(seed: int):
    """For code that can only draw from torch's default generator (torchvision's constructors,
    `pca_lowrank`): run it with that generator at `seed`, one thread at a time, and restore the
    caller's state afterwards. Training runs do not need this: they draw from their own generators."""
    with _DEFAULT_GENERATOR, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def initial_model(config: RunConfig) -> nn.Module:
    """The run's weights before its first step, drawn from a generator of its own seed: the same
    weights whatever other threads of the process draw meanwhile."""
    model = build_model(config)
    model.reset_parameters(torch.Generator().manual_seed(config.seed))
    return model


def build_model(config: RunConfig) -> nn.Module:
    """The untrained model a config describes, shaped for its dataset (eval mode, as zoo.build)."""
    return zoo.build(
        config.arch_name,
        width=config.width,
        in_channels=SHAPES[config.dataset][0],
        num_classes=NUM_CLASSES,
        preact=config.preact,
        shortcut=config.shortcut,
        final_survival=config.final_survival,
    )


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
    padded = F.pad(x, (4, 4, 4, 4))  # (N, C, H+8, W+8)
    ar_h, ar_w = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
    rows = (shifts[:, 0:1] + ar_h).view(n, 1, h, 1).expand(n, c, h, w + 8)
    cols = (shifts[:, 1:2] + ar_w).view(n, 1, 1, w).expand(n, c, h, w)
    return padded.gather(2, rows).gather(3, cols)  # (N, C, H, W)


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """Conv and linear weights along the main path (shortcut projections left out), so the index of
    a layer is its depth: 1..depth for a CifarNet."""
    return [
        (name, m.weight)
        for name, m in model.named_modules()
        if isinstance(m, (nn.Conv2d, nn.Linear)) and ".shortcut" not in name
    ]


def parameter_groups(model: nn.Module, weight_decay: float, decay_bn: bool) -> list[dict]:
    """SGD's parameter groups: weight decay on conv and linear weights; on BatchNorm scales, shifts
    and biases (the 1-d parameters) only with `decay_bn` (the paper's code decays every parameter)."""
    weights = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    return [
        {"params": weights, "weight_decay": weight_decay},
        {"params": rest, "weight_decay": weight_decay if decay_bn else 0.0},
    ]


class LiveRun:
    """One run of a comparison: model, optimizer, position in the data, history so far."""

    def __init__(self, config: RunConfig, data: Dataset, device: torch.device):
        self.config, self.device = config, device
        model = initial_model(config).train()  # same init for every run with this seed
        # stochastic depth draws from the run's own generator, seeded by the run: the same drop
        # pattern whatever else trains in this process
        self.drop_generator = torch.Generator(device=device).manual_seed(config.seed)
        for m in model.modules():
            if hasattr(m, "survival"):
                m.generator = self.drop_generator
        # channels_last: cuDNN's fast layout (tensor cores); on the CPU it measured no faster here
        self.memory_format = torch.channels_last if device.type == "cuda" else torch.contiguous_format
        self.model = model.to(device, memory_format=self.memory_format)
        self.optimizer = torch.optim.SGD(
            parameter_groups(model, config.weight_decay, config.decay_bn), lr=config.lr, momentum=config.momentum
        )
        layers = weighted_layers(model)
        self.grad_params = [p for _, p in layers]
        self.history = History(grad_layers=[name for name, _ in layers])
        self.batch_size = min(config.batch_size, len(data.train_y))
        self.steps_per_epoch = len(data.train_y) // self.batch_size  # drop the last partial batch
        self.total_steps = self.steps_per_epoch * config.epochs
        self.step = 0
        self.seconds = 0.0  # this run's own compute time (runs of a comparison interleave)
        self.warming = config.warmup == "on" or (config.warmup == "auto" and config.depth >= WARMUP_DEPTH)
        self.warm_error = 1.0  # running mean of the batch error while warming up
        self._plan = None
        self._epoch_sums_restored = None  # a checkpoint taken mid-epoch: that epoch's sums so far
        self._epoch_sums = None  # [loss sum, error count (device tensors), images] of this epoch
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
            self._epoch_sums = self._epoch_sums_restored or [
                torch.zeros((), device=self.device),
                torch.zeros((), device=self.device, dtype=torch.long),
                0,
            ]
            self._epoch_sums_restored = None
        order, flips, shifts = self._plan
        idx = order[pos * self.batch_size : (pos + 1) * self.batch_size]
        x, y = data_x[idx.to(data_x.device)], data_y[idx.to(data_y.device)]  # (B, C, H, W), (B,)
        if flips is not None:
            x = augment_batch(x, flips[idx].to(x.device), shifts[idx].to(x.device))
        x = x.contiguous(memory_format=self.memory_format)
        lr = self.lr_at(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            logits = self.model(x)  # (B, classes)
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
                self.history.steps.append(
                    {
                        "step": step + 1,
                        "epoch": (step + 1) / self.steps_per_epoch,
                        "loss": loss,
                        "error": err / n,
                        "lr": lr,
                    }
                )
            self._pending_steps = []
        for step, norms in self._pending_grads:
            self.history.grad_norms.append(
                {"step": step, "epoch": step / self.steps_per_epoch, "norms": norms.tolist()}
            )
        self._pending_grads = []

    def checkpoint(self) -> tuple[dict, dict]:
        """Everything but the weights needed to go on exactly where this run is: (tensors, numbers).
        Momentum buffers, the drop generator, and this epoch's sums so far."""
        self.flush()
        tensors = {"drop_rng": self.drop_generator.get_state().cpu()}
        for i, p in enumerate(self.model.parameters()):
            buf = self.optimizer.state.get(p, {}).get("momentum_buffer")
            if buf is not None:
                tensors[f"momentum.{i}"] = buf.detach().to("cpu").contiguous()
        sums = None
        if self._epoch_sums is not None and self.step % self.steps_per_epoch:
            sums = [self._epoch_sums[0].item(), int(self._epoch_sums[1].item()), self._epoch_sums[2]]
        numbers = {"step": self.step, "seconds": self.seconds, "warming": self.warming, "warm_error": self.warm_error}
        return tensors, {**numbers, "epoch_sums": sums}

    def restore(self, state: dict, tensors: dict, numbers: dict, history: History) -> None:
        """Go on from `checkpoint()` (weights in `state`); the history is cut back to that step."""
        self.model.load_state_dict(state)
        self.drop_generator.set_state(tensors["drop_rng"].to(self.drop_generator.device))
        for i, p in enumerate(self.model.parameters()):
            if f"momentum.{i}" in tensors:
                self.optimizer.state[p]["momentum_buffer"] = tensors[f"momentum.{i}"].to(p.device)
        self.step, self.seconds = numbers["step"], numbers["seconds"]
        self.warming, self.warm_error = numbers["warming"], numbers["warm_error"]
        if numbers["epoch_sums"]:
            loss, errors, images = numbers["epoch_sums"]
            self._plan = None  # re-derived from seed and epoch at the next step
            self._epoch_sums_restored = [
                torch.tensor(loss, device=self.device),
                torch.tensor(errors, device=self.device),
                images,
            ]
        self.history = History(
            steps=[s for s in history.steps if s["step"] <= self.step],
            epochs=[e for e in history.epochs if e["step"] <= self.step],
            grad_layers=history.grad_layers or self.history.grad_layers,
            grad_norms=[g for g in history.grad_norms if g["step"] < self.step],
        )

    @torch.no_grad()
    def evaluate(self, x_all: torch.Tensor, y_all: torch.Tensor, batch: int = 1000) -> tuple[float, float]:
        self.model.eval()
        loss_sum, wrong = 0.0, 0
        for i in range(0, len(y_all), batch):
            x, y = x_all[i : i + batch], y_all[i : i + batch]
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
        row = {
            "epoch": self.epoch,
            "step": self.step,
            "train_loss": loss_sum.item() / images,
            "train_error": wrong.item() / images,
            "test_loss": test_loss,
            "test_error": test_error,
            "lr": self.lr_at(self.step - 1),
            "seconds": round(self.seconds, 3),
            "images_per_s": images / max(train_seconds, 1e-9),
        }
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
        if check and data is None:  # bad values refused before anything is loaded
            check_comparison(configs)
        self.data = data or load_dataset(first.dataset, seed=first.seed, train_limit=first.train_limit)
        self.estimates = check_comparison(configs, self.data) if check else []
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
