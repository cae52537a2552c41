"""Training runs as jobs on Dask distributed: submit, watch, stop. One job per run key, however many ask.

Pages and the CLI never train in their own thread. `submit(configs, owner)` puts one row per run in
the store (`RunStore.submit`: an identical run that is queued, running or finished is attached to,
a stopped or interrupted one resumes) and hands each new job to the engine with `fire_and_forget`,
so it runs to the end even when every page watching it closes. Workers (`run_job`) write the
history as they go, and at every epoch end the weights and a resume checkpoint; pages read
progress back through `Board`, one store query per second per server process.

The engine is embedded by default: a `LocalCluster` started inside this process on first use
(`CONVATLAS_WORKERS` worker processes of one thread each; default: one per core). With
`CONVATLAS_SCHEDULER=tcp://host:8786` it is a cluster (`dask scheduler`, and workers started with
`python -m core worker tcp://host:8786`, GPU workers with `--resources GPU=1`); see docs/DEPLOY.md.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, replace

from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from core.errors import UserError
from core.training.config import History, RunConfig
from core.training.data import convatlas_home
from core.training.estimate import check_comparison
from core.training.store import ACTIVE, RunInfo, RunStore, weights_bytes

# Bump when the same configuration would train to different numbers (v2: per-run generators for
# initialisation and stochastic depth), so a new engine never replays an old engine's run as its own.
ENGINE_VERSION = 2
CHUNK_SECONDS = 1.0  # training between two progress writes: a Stop acts within about this long
STALE_SECONDS = 60.0  # a running row unwritten this long, and unknown to the engine, was interrupted
QUOTA = int(os.environ.get("CONVATLAS_QUOTA", 12))  # queued or running runs one session may have


# --- run keys --------------------------------------------------------------------------------------


def run_key(config: RunConfig, device_class: str) -> str:
    """The identity of a training run: its canonical configuration, the engine version and the
    device class (bf16 on a GPU and fp32 on a CPU give different numbers)."""
    body = json.dumps({"config": config.to_dict(), "engine": ENGINE_VERSION, "device": device_class}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:24]


def device_class(config: RunConfig, gpu_workers: bool) -> str:
    """Where a run will train: 'cuda' when asked for or ('auto') when the engine has GPU workers."""
    if config.device == "cuda":
        if not gpu_workers:
            raise UserError("no GPU worker is connected to the engine; choose device 'cpu' or 'auto'")
        return "cuda"
    return "cuda" if config.device == "auto" and gpu_workers else "cpu"


# --- the engine --------------------------------------------------------------------------------------

_client = None
_client_lock = threading.Lock()
_local_engine = None  # the embedded engine's process


def local_workers() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, int(os.environ.get("CONVATLAS_WORKERS", 0)) or cores)


def client():
    """This process's Dask client: to `CONVATLAS_SCHEDULER`, or to the embedded engine (a LocalCluster
    in a process of its own, started on first use and stopped with this process)."""
    global _client
    from distributed import Client  # noqa: PLC0415 (pages that never train never pay for it)

    with _client_lock:
        if _client is not None and _client.status == "running":
            return _client
        address = os.environ.get("CONVATLAS_SCHEDULER")
        try:
            if not address:
                address = _start_local_engine()
            _client = Client(address, timeout=30, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise UserError(
                f"cannot reach the training engine at {address} ({exc}); check CONVATLAS_SCHEDULER"
            ) from None
        return _client


def _start_local_engine() -> str:
    """Start (once per process) the embedded LocalCluster; returns its scheduler's address."""
    global _local_engine
    import torch  # noqa: PLC0415

    if _local_engine is None or _local_engine.poll() is not None:
        workers = local_workers()
        command = [sys.executable, "-m", "core.training.local_cluster", "--workers", str(workers)]
        command += ["--threads", str(max(1, (os.cpu_count() or 1) // workers))]  # the workers share the cores
        if torch.cuda.is_available():
            command.append("--gpu")
        _local_engine = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        atexit.register(_local_engine.terminate)
        _local_engine.address = _local_engine.stdout.readline().strip()  # printed once it listens
        if not _local_engine.address.startswith("tcp://"):
            raise UserError("the embedded training engine did not start (is the `distributed` package installed?)")
    return _local_engine.address


def has_gpu_workers() -> bool:
    """Whether GPU runs can train: the embedded engine has a GPU if this machine has one (asked
    without starting it: a replay needs no engine); a cluster, if a worker offers the resource."""
    if not os.environ.get("CONVATLAS_SCHEDULER"):
        import torch  # noqa: PLC0415

        return torch.cuda.is_available()
    workers = client().scheduler_info(n_workers=-1)["workers"].values()
    return any(w.get("resources", {}).get("GPU") for w in workers)


def dask_key(store: RunStore, info: RunInfo) -> str:
    """The engine's task key of one attempt at a run: a second submission of the same attempt from any
    session or replica is the same task, a resumed run (a new attempt) a new one."""
    return f"convatlas-{store_tag(store)}-run{info.id}-a{info.attempt}"


def launch(function, *args, key: str, resources: dict | None = None) -> None:
    """Hand one task to the engine. It runs to the end even when every page watching it closes; a second
    launch with the same key, from any session, is the same task."""
    from distributed import fire_and_forget  # noqa: PLC0415

    fire_and_forget(client().submit(function, *args, key=key, resources=resources))


def store_tag(store: RunStore) -> str:
    """A short name of the store in engine task keys: two stores never share a task."""
    return hashlib.sha256(store.url.encode()).hexdigest()[:8]


def submit(
    configs: list[RunConfig], owner: str | None, comparison: str | None = None, store: RunStore | None = None
) -> list[int]:
    """Submit runs (checked first: limits, estimates). Returns their run ids, in order: attached,
    replayed, resumed or new. Never trains here."""
    check_comparison(configs)
    store = store or RunStore()
    gpu = has_gpu_workers()
    ids = []
    for config in configs:
        cls = device_class(config, gpu)
        info = store.submit(config, run_key(config, cls), owner, comparison, QUOTA)
        if info.status in ACTIVE:  # the engine starts only when there is work for it
            resources = {"GPU": 1} if cls == "cuda" else None
            launch(
                run_job,
                info.id,
                info.attempt,
                store.url,
                cls,
                str(convatlas_home()),
                key=dask_key(store, info),
                resources=resources,
            )
        ids.append(info.id)
    BOARD.forget()  # watchers see the new rows at once, not a second later
    return ids


def stop(run_ids: list[int], owner: str | None, store: RunStore | None = None) -> bool:
    """The starter's Stop: every run of `run_ids` that `owner` started stops at its next chunk.
    Returns whether any did (False: the caller only watched)."""
    store = store or RunStore()
    stopped = any([store.request_stop(i, owner) for i in run_ids])
    BOARD.forget()
    return stopped


# --- the worker's side -------------------------------------------------------------------------------


def pack_checkpoint(tensors: dict, numbers: dict) -> bytes:
    return save_safetensors(tensors, metadata={"numbers": json.dumps(numbers)})


def unpack_checkpoint(blob: bytes) -> tuple[dict, dict]:
    """(tensors, numbers) of `pack_checkpoint`; the numbers ride in the safetensors header's metadata."""
    header = json.loads(blob[8 : 8 + int.from_bytes(blob[:8], "little")])
    return load_safetensors(blob), json.loads(header["__metadata__"]["numbers"])


def guarded(work, fail) -> str:
    """A worker's job body `work()` (returns what happened): a UserError (e.g. a dataset that is not on
    this worker) fails the job with its sentence; a bug fails it with its type and is raised, so the job
    says so instead of spinning as 'running'. `fail(reason)` writes the failure."""
    try:
        return work()
    except UserError as exc:
        fail(str(exc))
        return "failed"
    except Exception as exc:
        fail(f"{type(exc).__name__}: {exc}")
        raise


def run_job(run_id: int, attempt: int, store_url: str, device: str, home: str) -> str:
    """One run, trained in a worker: claim the row, resume from its checkpoint if it has one, train in
    chunks writing progress, honour a Stop, store the result. Returns what happened (for logs)."""
    from core.training.engine import PairedTrainer  # noqa: PLC0415

    os.environ["CONVATLAS_HOME"] = home  # where downloaded datasets live (a worker runs one job at a time)
    store = RunStore(store_url)
    claimed = store.claim(run_id, attempt)
    if claimed is None:
        return "nothing to do"  # finished, stopped before it started, deleted, or a newer attempt owns it
    config, weights, checkpoint, history = claimed

    def work() -> str:
        trainer = PairedTrainer([replace(config, device=device)])
        run = trainer.runs[0]
        if weights is not None and checkpoint is not None:
            run.restore(load_safetensors(weights), *unpack_checkpoint(checkpoint), history)
        epochs_written = run.epoch
        while not trainer.done:
            trainer.advance(max_seconds=CHUNK_SECONDS)
            run.flush()
            at_epoch_end = run.epoch > epochs_written and not trainer.done
            saved = saved_checkpoint = None
            if at_epoch_end:  # what a resume starts from: nothing before this epoch is lost
                epochs_written = run.epoch
                saved, saved_checkpoint = weights_bytes(run.model), pack_checkpoint(*run.checkpoint())
            stop = store.heartbeat(run_id, attempt, run.history, run.step, run.total_steps, saved, saved_checkpoint)
            if stop and not trainer.done:
                store.heartbeat(
                    run_id,
                    attempt,
                    run.history,
                    run.step,
                    run.total_steps,
                    weights_bytes(run.model),
                    pack_checkpoint(*run.checkpoint()),
                    status="stopped",
                )
                return "stopped"
        run.model.eval()
        store.heartbeat(
            run_id, attempt, run.history, run.step, run.total_steps, weights_bytes(run.model), None, "finished"
        )
        return "finished"

    return guarded(work, lambda reason: store.fail(run_id, attempt, reason))


# --- watching ----------------------------------------------------------------------------------------


@dataclass
class RunView:
    """One watched run as a page draws it (the shape of the engine's LiveRun that pages used to read)."""

    info: RunInfo
    history: History

    @property
    def config(self) -> RunConfig:
        return self.info.config

    @property
    def status(self) -> str:
        return self.info.status

    @property
    def step(self) -> int:
        return self.info.step if self.info.status != "finished" else max(self.info.step, self.info.total_steps)

    @property
    def total_steps(self) -> int:
        return max(1, self.info.total_steps)

    @property
    def done(self) -> bool:
        return self.info.status == "finished"

    @property
    def epoch(self) -> int:
        return self.info.epochs_done


@dataclass
class JobView:
    """The runs one page watches, from the store."""

    runs: list[RunView]

    @property
    def ids(self) -> list[int]:
        return [r.info.id for r in self.runs]

    @property
    def active(self) -> bool:
        return any(r.status in ACTIVE for r in self.runs)

    @property
    def done(self) -> bool:
        return all(r.done for r in self.runs)

    @property
    def fraction(self) -> float:
        return sum(min(r.step, r.total_steps) for r in self.runs) / max(1, sum(r.total_steps for r in self.runs))

    @property
    def eta_seconds(self) -> float | None:
        """Remaining compute time from each run's measured seconds per step (None before an epoch ends).
        Runs train side by side on several workers, so this errs long."""
        remaining = 0.0
        for r in self.runs:
            if r.done or r.status not in ACTIVE:
                continue
            if not r.history.epochs:
                return None
            last = r.history.epochs[-1]
            remaining += last["seconds"] / max(1, last["step"]) * (r.total_steps - r.step)
        return remaining


class Board:
    """Progress of every run watched in this process, read from the store at most once a second:
    300 sessions watching one job cost one query a second, not 300."""

    def __init__(self, max_age: float = 1.0):
        self.max_age = max_age
        self._lock = threading.Lock()
        self._views: dict[str, tuple[float, dict[int, RunView]]] = {}  # store url -> (time, runs)
        self._watched: dict[str, dict[int, float]] = {}  # store url -> run id -> last asked
        self._checked_stale = 0.0

    def view(self, run_ids: list[int], store: RunStore | None = None) -> JobView:
        store = store or RunStore()
        now = time.time()
        with self._lock:
            watched = self._watched.setdefault(store.url, {})
            for i in run_ids:
                watched[i] = now
            at, runs = self._views.get(store.url, (0.0, {}))
            if now - at > self.max_age or any(i not in runs for i in run_ids):
                for i in [i for i, t in watched.items() if now - t > 30]:  # nobody asked for 30 s
                    del watched[i]
                runs = self._read(store, list(watched))
                self._views[store.url] = (time.time(), runs)
        return JobView([runs[i] for i in run_ids if i in runs])

    def _read(self, store: RunStore, run_ids: list[int]) -> dict[int, RunView]:
        infos = store.list(ids=run_ids)
        histories = store.histories([r.id for r in infos])
        stale = [r for r in infos if r.status in ACTIVE and (r.updated or 0) < time.time() - STALE_SECONDS]
        if stale and time.time() - self._checked_stale > 10:
            self._checked_stale = time.time()
            orphans = [r.id for r in stale if not engine_knows(dask_key(store, r))]
            if orphans and store.mark_interrupted(orphans, time.time() - STALE_SECONDS):
                return self._read(store, run_ids)
        return {r.id: RunView(r, histories.get(r.id, History())) for r in infos}

    def forget(self) -> None:
        with self._lock:
            self._views.clear()


def engine_knows(key: str) -> bool:
    """Whether the engine has this task (queued or running) — not, when the process that held it died."""
    if _client is None and not os.environ.get("CONVATLAS_SCHEDULER"):
        return False  # no engine in this process: whoever ran it is gone or elsewhere
    try:
        return bool(client().run_on_scheduler(_scheduler_has, key=key))
    except Exception:  # the engine itself is unreachable: do not mark anything
        return True


def _scheduler_has(key: str, dask_scheduler=None) -> bool:
    return key in dask_scheduler.tasks


BOARD = Board()
