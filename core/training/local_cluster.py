"""The embedded training engine: a Dask LocalCluster in a process of its own.

`python -m core.training.local_cluster --workers N` starts the scheduler and N worker processes
(one thread each), prints the scheduler's address on its first line and lives as long as the
process that started it. It is a process of its own, not a LocalCluster inside the app, because
worker processes are spawned, and a spawned child re-imports its parent's `__main__`: inside
Streamlit that is the page script being run.
"""

from __future__ import annotations

import argparse
import logging
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument("--gpu", action="store_true")
    args = parser.parse_args()
    parent = os.getppid()

    from distributed import LocalCluster  # noqa: PLC0415

    cluster = LocalCluster(
        n_workers=args.workers,
        threads_per_worker=1,  # one job per worker at a time
        processes=True,
        scheduler_port=0,
        dashboard_address=None,
        silence_logs=logging.ERROR,
        resources={"GPU": 1} if args.gpu else None,
        env={"CONVATLAS_THREADS": str(args.threads)},
    )
    print(cluster.scheduler_address, flush=True)
    try:
        while os.getppid() == parent:  # the app (or CLI) that started us is gone: so are we
            time.sleep(1)
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
