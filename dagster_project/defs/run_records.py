"""Which Dagster runs belong to a data dir, and which of them died without saying so.

Every data dir shares one Dagster instance (`$DAGSTER_HOME`), so its run history holds the
runs of all of them: a run's data dir is the one its `paths` resource was configured with
(its run config; `leitstand run` and the executor also tag it, `DATA_DIR_TAG`).

A run killed with `kill -9` stays STARTED in Dagster for ever: nothing is left to report
its end. Runs therefore carry the id of the process that executes them (`PID_TAG`, set
before the run waits for the pipeline lock). A STARTED run whose process is gone is
*interrupted*; the next run of the data dir marks it failed (`mark_interrupted_runs_failed`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

from dagster_project.core.leftovers import pid_alive
from dagster_project.core.run_lock import lock_holder
from dagster_project.core.settings import Settings, load_settings

PID_TAG = "leitstand/pid"
HOST_TAG = "leitstand/host"
DATA_DIR_TAG = "leitstand/data_dir"
IN_PROGRESS = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING)
RECENT_RUNS = 200  # how far back the history is searched for a data dir's runs


def process_tags(settings: Settings) -> dict[str, str]:
    """The tags that tie a run to this process and its data dir."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname(),
            DATA_DIR_TAG: str(settings.data_dir)}


def data_dir_of(run: dg.DagsterRun) -> Path | None:
    """The data dir a run works on (its tag, else its run config)."""
    tagged = run.tags.get(DATA_DIR_TAG)
    if tagged:
        return Path(tagged)
    # as the `paths` resource reads it (defs/resources.py), without importing dagster-dbt
    try:
        config = (run.run_config or {}).get("resources", {}).get("paths", {}) or {}
        return load_settings(None, (config.get("config") or {}).get("data_dir") or None).data_dir
    except (AttributeError, TypeError):  # a run config of another shape: not one of ours
        return None


def process_gone(run: dg.DagsterRun, data_dir_locked: bool | None = None) -> bool:
    """Whether an in-progress run's process has ended (it will never report its end).

    A run tagged with its process id is gone when that process is (on this machine); an
    untagged one when nobody holds the pipeline lock of its data dir (`data_dir_locked`,
    looked up when not given)."""
    if run.status not in IN_PROGRESS:
        return False
    pid = run.tags.get(PID_TAG)
    if pid and pid.isdigit():
        if run.tags.get(HOST_TAG, socket.gethostname()) != socket.gethostname():
            return False  # another machine's process: cannot tell
        return not pid_alive(int(pid))
    if data_dir_locked is None:
        data_dir = data_dir_of(run)
        data_dir_locked = data_dir is None or lock_holder(data_dir) is not None
    return not data_dir_locked


def runs_of(instance: dg.DagsterInstance, job_name: str, data_dir: Path,
            statuses: list[dg.DagsterRunStatus] | None = None) -> list[dg.RunRecord]:
    """The recent run records of `job_name` on `data_dir`, newest first."""
    records = instance.get_run_records(
        dg.RunsFilter(job_name=job_name, statuses=statuses or []), limit=RECENT_RUNS)
    wanted = Path(data_dir).resolve()
    return [r for r in records if (d := data_dir_of(r.dagster_run)) is not None
            and Path(d).resolve() == wanted]


def mark_interrupted_runs_failed(instance: dg.DagsterInstance, settings: Settings,
                                 job_name: str, current_run_id: str | None = None,
                                 holding_lock: bool = True) -> list[str]:
    """Mark failed the in-progress runs whose process is gone; their ids.

    Called at the start of a run while it holds the pipeline lock of `settings.data_dir`
    (`holding_lock`): an untagged run of that data dir cannot be alive then. Runs of other
    data dirs are marked only when tagged with a process that is gone."""
    marked = []
    records = instance.get_run_records(dg.RunsFilter(job_name=job_name,
                                                     statuses=list(IN_PROGRESS)),
                                       limit=RECENT_RUNS)
    here = settings.data_dir.resolve()
    for record in records:
        run = record.dagster_run
        if run.run_id == current_run_id:
            continue
        data_dir = data_dir_of(run)
        if data_dir is not None and Path(data_dir).resolve() == here and holding_lock:
            gone = process_gone(run, data_dir_locked=False)
        elif PID_TAG in run.tags:
            gone = process_gone(run)
        else:
            continue
        if gone:
            instance.report_run_failed(
                run, message="interrupted: the process running it ended before the run did "
                             "(killed?); marked failed at the start of the next run")
            marked.append(run.run_id)
    return marked
