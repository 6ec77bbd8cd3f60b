"""One pipeline run per data dir at a time: the pipeline lock.

DuckDB allows one writer per file, and a second run writing the same build database would
fail on its lock. Runs therefore take an exclusive `flock` on `<data dir>/.pipeline.lock`
for their whole duration and *wait* for it when another run holds it — a second request is
queued, never failed:

- `leitstand run` takes the lock before it executes the job in-process;
- runs launched by the Dagster daemon (UI, schedule, sensor) take it in the job's executor
  (`defs/executor.py`); among themselves they are already queued by the
  QueuedRunCoordinator (`max_concurrent_runs: 1` in `.dagster_home/dagster.yaml`).

The operating system releases a `flock` when its process ends, however it ends, so a killed
run never leaves a stale lock behind. The lock file holds the pid and start time of the
holder, for the message of whoever waits.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

LOCK_NAME = ".pipeline.lock"
POLL_SECONDS = 0.5


def lock_path(data_dir: Path) -> Path:
    return data_dir / LOCK_NAME


def lock_holder(data_dir: Path) -> str | None:
    """Who holds the lock ('pid 123 since 2026-11-22 06:00:01 (run abc)'), None when it is free."""
    path = lock_path(data_dir)
    if not path.exists():
        return None
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            return f.read().strip() or "another process"
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


@contextmanager
def pipeline_lock(
    data_dir: Path, owner: str = "", on_wait: Callable[[str], None] | None = None
) -> Iterator[float]:
    """Hold the pipeline lock of `data_dir`; waits (calling `on_wait` once) while it is taken.

    Yields the seconds spent waiting.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with lock_path(data_dir).open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                f.seek(0)
                on_wait(f.read().strip() or "another process")
            fcntl.flock(f, fcntl.LOCK_EX)  # blocks until the holder ends
        waited = time.monotonic() - started
        f.seek(0)
        f.truncate()
        stamp = datetime.now().isoformat(sep=" ", timespec="seconds")
        f.write(f"pid {os.getpid()} since {stamp}{f' ({owner})' if owner else ''}\n")
        f.flush()
        try:
            yield waited
        finally:
            f.seek(0)
            f.truncate()
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)
