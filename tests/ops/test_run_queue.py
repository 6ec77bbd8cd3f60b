"""At most one pipeline run at a time: a second request waits (queued), it does not fail.

The instance is configured from the project's own `.dagster_home/dagster.yaml`; the daemon's
run queue is driven one iteration at a time, and runs are launched for real (code server and
run worker processes) with a small stand-in of the pipeline wired like the real job.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.core.run_lock import lock_holder, pipeline_lock
from dagster_project.defs.jobs import PIPELINE_JOB

TOY_FILE = Path(__file__).with_name("toy_pipeline.py")
IN_PROGRESS = {dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED}


def test_project_instance_queues_runs_one_at_a_time(dagster_home):
    with dg.DagsterInstance.get() as instance:
        from dagster._core.run_coordinator import QueuedRunCoordinator

        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert not instance.telemetry_enabled
        # run storage on disk, inside the Dagster home
        assert Path(instance.root_directory) == dagster_home
        assert any(p.suffix == ".db" for p in dagster_home.rglob("*"))


def _statuses(instance, run_ids):
    return [instance.get_run_by_id(r).status for r in run_ids]


def _wait_until(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.mark.slow
def test_second_run_request_waits_queued_while_one_runs(dagster_home, tmp_path, monkeypatch):
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.workspace.load_target import PythonFileTarget
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
        QueuedRunCoordinatorDaemon,
    )

    data_dir = tmp_path / "data"
    monkeypatch.setenv("LEITSTAND_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TOY_RUN_SECONDS", "3")
    target = PythonFileTarget(
        python_file=str(TOY_FILE),
        attribute="defs",
        working_directory=str(Path.cwd()),
        location_name="toy",
    )
    with (
        dg.DagsterInstance.get() as instance,
        create_test_daemon_workspace_context(target, instance) as workspace_ctx,
    ):
        workspace = workspace_ctx.create_request_context()
        remote_job = (
            workspace.get_code_location("toy")
            .get_repository("__repository__")
            .get_full_job(PIPELINE_JOB)
        )
        run_ids = []
        for _ in range(2):
            run = instance.create_run_for_job(
                job_def=_toy_job(),
                remote_job_origin=remote_job.get_remote_origin(),
                job_code_origin=remote_job.get_python_origin(),
            )
            instance.submit_run(run.run_id, workspace)
            run_ids.append(run.run_id)
        assert _statuses(instance, run_ids) == [dg.DagsterRunStatus.QUEUED] * 2

        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)

        def tick():
            list(daemon.run_iteration(workspace_ctx))

        tick()
        first, second = _statuses(instance, run_ids)
        assert first in IN_PROGRESS and second == dg.DagsterRunStatus.QUEUED
        # while the first one runs, the queue keeps the second one waiting, tick after tick
        for _ in range(3):
            tick()
            first, second = _statuses(instance, run_ids)
            if first in IN_PROGRESS:
                assert second == dg.DagsterRunStatus.QUEUED
        _wait_until(
            lambda: instance.get_run_by_id(run_ids[0]).status == dg.DagsterRunStatus.SUCCESS,
            120,
            "the first run to finish",
        )
        tick()
        _wait_until(
            lambda: instance.get_run_by_id(run_ids[1]).status == dg.DagsterRunStatus.SUCCESS,
            120,
            "the queued run to run and finish",
        )
        daemon.__exit__(None, None, None)

    spans = sorted(
        (float(s), float(e))
        for _, s, e in (
            line.split() for line in (data_dir / "toy_runs.log").read_text().splitlines()
        )
    )
    assert len(spans) == 2 and spans[0][1] <= spans[1][0], f"runs overlapped: {spans}"


def _toy_job():
    import importlib.util

    spec = importlib.util.spec_from_file_location("toy_pipeline", TOY_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.defs.resolve_job_def(PIPELINE_JOB)


def test_pipeline_lock_makes_a_second_run_wait(tmp_path):
    """`leitstand run` and daemon-launched runs share one lock per data dir; the second waits."""
    order: list[str] = []
    waited_for: list[str] = []
    first_has_lock = threading.Event()

    def first():
        with pipeline_lock(tmp_path, owner="run A"):
            order.append("A start")
            first_has_lock.set()
            time.sleep(1.0)
            order.append("A end")

    t = threading.Thread(target=first)
    t.start()
    first_has_lock.wait(5)
    assert "run A" in (lock_holder(tmp_path) or "")
    started = time.monotonic()
    with pipeline_lock(tmp_path, owner="run B", on_wait=waited_for.append) as waited:
        order.append("B start")
    t.join()
    assert order == ["A start", "A end", "B start"]
    assert waited_for and "run A" in waited_for[0]
    assert waited >= 0.5 and time.monotonic() - started >= 0.5
    assert lock_holder(tmp_path) is None
