"""`leitstand status`: publication, freshness, last gate result, what blocked the last run."""

from __future__ import annotations

import json
from datetime import datetime

import dagster as dg
import pytest

from dagster_project.cli.main import main
from dagster_project.cli.status import collect_status, render
from dagster_project.core.settings import Settings
from tests.ops.published import ROWS, publish_version

NOW = datetime(2026, 11, 22, 9, 30)


@pytest.fixture
def settings(tmp_path) -> Settings:
    s = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    publish_version(s, 1)
    publish_version(s, 2)
    return s


def _report(settings: Settings, run_id: str, updated_at: str, results: list[dict]) -> None:
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    blocked = any(not r["passed"] and r["severity"] == "error" for r in results)
    doc = {"run_id": run_id, "updated_at": updated_at, "blocked": blocked, "results": results}
    (settings.runs_dir / f"{run_id}.json").write_text(json.dumps(doc), encoding="utf-8")


def _result(check, source, severity, passed, message):
    return {
        "check_name": check,
        "source_or_table": source,
        "severity": severity,
        "passed": passed,
        "observed": None,
        "threshold": None,
        "message": message,
    }


def test_status_shows_the_last_publication_and_freshness(settings):
    _report(
        settings,
        "run-2",
        "2026-11-22T06:02:00",
        [_result("quarantine_share", "erp_orders", "error", True, "ok")],
    )
    text = render(collect_status(settings, with_dagster=False), now=NOW)
    assert "run run-2, published 2026-11-22 06:02:00 (3 h ago); publication 2 in this file" in text
    rows = f"{ROWS:,}".replace(",", " ")
    assert f"3 files, {rows} rows loaded, 7 rows quarantined" in text
    assert "erp_orders  newest order_date 2026-10-31 (22 days old)" in text
    assert "gate: passed (0 warnings, 1 passed)" in text
    assert "BLOCKED" not in text


def test_status_names_what_blocked_the_latest_run(settings):
    _report(
        settings,
        "run-2",
        "2026-11-22T06:02:00",
        [_result("quarantine_share", "erp_orders", "error", True, "ok")],
    )
    why = (
        "erp_orders: 2.3 % of rows quarantined (> 1 %); most: order_date unparsable in "
        "orders_2026-11-30.csv. Fix the file and run again"
    )
    _report(
        settings,
        "run-3",
        "2026-11-22T07:00:00",
        [
            _result("quarantine_share", "erp_orders", "error", False, why),
            _result("channel_map", "erp_orders", "error", True, "ok"),
        ],
    )
    text = render(collect_status(settings, with_dagster=False), now=NOW)
    assert "gate report of run run-3 (2026-11-22T07:00:00): BLOCKED" in text
    assert why in text
    assert "nothing of that run was published" in text
    # the publication shown is still the last good one
    assert "run run-2, published" in text


def test_status_reads_failed_steps_from_the_dagster_instance(settings, dagster_home, monkeypatch):
    """A run that failed before the gate (e.g. dbt) has no gate report; Dagster knows why."""
    monkeypatch.setenv("LEITSTAND_DATA_DIR", str(settings.data_dir))

    @dg.asset(name="dbt_models")
    def broken():
        raise RuntimeError("Compilation Error in model stg_erp_orders__orders: column missing")

    job = dg.Definitions(assets=[broken], jobs=[dg.define_asset_job("leitstand")]).resolve_job_def(
        "leitstand"
    )
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    status = collect_status(settings)
    assert status.latest_run and status.latest_run.run_id == result.run_id
    text = render(status, now=NOW)
    assert f"run {result.run_id}: failure" in text and "BLOCKED or failed" in text
    assert "failed step: dbt_models: RuntimeError: Compilation Error in model" in text


def test_status_without_any_publication_says_what_to_do(tmp_path, capsys):
    assert main(["status", "--data-dir", str(tmp_path), "--no-dagster"]) == 0
    out = capsys.readouterr().out
    assert "nothing published yet" in out and "leitstand run" in out
    assert "no run recorded yet" in out


def test_status_shows_a_run_in_progress(settings):
    from dagster_project.core.run_lock import pipeline_lock

    with pipeline_lock(settings.data_dir, owner="run run-9"):
        text = render(collect_status(settings, with_dagster=False), now=NOW)
    assert "a pipeline run is in progress: pid" in text and "run run-9" in text


# ---- truthful: a killed run, another data dir's runs ----------------------------------------

def _quick_run(instance, data_dir, fails=False):
    """A finished run of the job `leitstand` on `data_dir` (tagged as the pipeline does)."""
    from dagster_project.defs.run_records import process_tags

    @dg.asset(name="dbt_models")
    def step():
        if fails:
            raise RuntimeError(f"broken in {data_dir.name}")

    job = dg.Definitions(assets=[step], jobs=[dg.define_asset_job("leitstand")]
                         ).resolve_job_def("leitstand")
    settings = Settings(sources_dir=data_dir / "sources", data_dir=data_dir)
    return job.execute_in_process(instance=instance, raise_on_error=False,
                                  tags=process_tags(settings))


def test_status_reads_only_the_runs_of_its_own_data_dir(settings, dagster_home, tmp_path):
    with dg.DagsterInstance.get() as instance:
        own = _quick_run(instance, settings.data_dir)
        other = _quick_run(instance, tmp_path / "other-data", fails=True)  # newer
    status = collect_status(settings)
    assert status.latest_run and status.latest_run.run_id == own.run_id
    text = render(status, now=NOW)
    assert other.run_id not in text and "broken in other-data" not in text


def test_a_killed_run_is_interrupted_and_the_next_start_marks_it_failed(settings, dagster_home):
    import os
    import signal
    import subprocess
    import sys
    import time

    from dagster_project.cli.run import clean_up_after_killed_runs
    from dagster_project.core.settings import REPO_ROOT

    marker = settings.data_dir.parent / "started"
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tests.ops.killed_run",
                                str(settings.data_dir)], cwd=REPO_ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        running = collect_status(settings).latest_run
        assert running.status == "STARTED" and not running.interrupted
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    status = collect_status(settings)
    assert status.latest_run.status == "STARTED" and status.latest_run.interrupted
    text = render(status, now=NOW)
    assert f"run {status.latest_run.run_id}: interrupted" in text and "running" not in text
    assert "its process is gone" in text

    with dg.DagsterInstance.get() as instance:
        clean_up_after_killed_runs(instance, settings)
        record = instance.get_run_record_by_id(status.latest_run.run_id)
        assert record.dagster_run.status == dg.DagsterRunStatus.FAILURE
    after = render(collect_status(settings), now=NOW)
    assert f"run {status.latest_run.run_id}: failure" in after
