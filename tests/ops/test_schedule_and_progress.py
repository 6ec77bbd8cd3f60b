"""The daily schedule's clock and the progress lines a run prints."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.defs.schedules import (
    SCHEDULE_NAME,
    ScheduleSettingError,
    build_daily_schedule,
)
from tests.ops.test_run_queue import _toy_job


def test_the_schedule_runs_daily_at_six_in_berlin_by_default():
    schedule = build_daily_schedule({})
    assert schedule.name == SCHEDULE_NAME
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.job_name == "leitstand"


def test_the_clock_comes_from_the_environment():
    schedule = build_daily_schedule(
        {"LEITSTAND_SCHEDULE_CRON": "30 5 * * 1-5", "LEITSTAND_SCHEDULE_TZ": "UTC"}
    )
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 5 * * 1-5", "UTC")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"LEITSTAND_SCHEDULE_CRON": "0 25 * * *"}, "LEITSTAND_SCHEDULE_CRON='0 25 * * *'"),
        ({"LEITSTAND_SCHEDULE_TZ": "Europe/Bielefeld"}, "LEITSTAND_SCHEDULE_TZ='Europe/Bielefeld'"),
    ],
)
def test_a_wrong_clock_setting_says_which_variable_and_how_to_fix(env, names):
    with pytest.raises(ScheduleSettingError) as e:
        build_daily_schedule(env)
    assert names in str(e.value)
    assert "e.g." in str(e.value) or "such as" in str(e.value)


def test_the_schedule_ticks_the_pipeline_job_at_the_configured_time():
    schedule = build_daily_schedule({})
    ctx = dg.build_schedule_context(
        scheduled_execution_time=__import__("datetime").datetime(2026, 11, 23, 6, 0)
    )
    data = schedule.evaluate_tick(ctx)
    assert len(data.run_requests) == 1
    assert data.run_requests[0].tags["leitstand/trigger"] == "schedule"


def test_definitions_load_with_the_schedule_and_the_sensor():
    from dagster_project.defs.definitions import defs
    from dagster_project.defs.sensors import SENSOR_NAME

    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    assert schedule.job_name == sensor.job_name == "leitstand"
    job = defs.resolve_job_def("leitstand")
    assert job.executor_def.name == "in_process_locked"
    groups = {
        defs.resolve_assets_def(k).group_names_by_key[k] for k in defs.resolve_all_asset_keys()
    }
    assert {"ingest", "staging", "intermediate", "marts", "publish"} <= groups
    dashboards = dg.AssetKey("dashboards")
    if dashboards in defs.resolve_all_asset_keys():
        assert defs.resolve_assets_def(dashboards).group_names_by_key[dashboards] == "dashboards"


def test_a_run_prints_stage_rows_files_and_failures(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEITSTAND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TOY_RUN_SECONDS", "0")
    monkeypatch.setenv("TOY_CHECK_FAILS", "1")
    result = _toy_job().execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    err = capsys.readouterr().err.splitlines()
    assert any("leitstand run started" in line for line in err)
    assert any(
        "ingest" in line and "raw/erp_orders: 12 345 rows, 3 files" in line for line in err
    ), err
    assert any("FAILED check raw/erp_orders:quarantine_share — 2.3 % > 1 %" in line for line in err)
    assert err[-1].endswith(
        "leitstand run failed (0 checks passed, 1 failed, 1 step(s) failed, "
        "1 not run because of that)"
    )
    assert not any("Dependencies for step" in line for line in err)
    assert len(err) < 15, "progress output should be short"


def test_the_dashboards_step_reports_its_progress_and_other_steps_stay_quiet():
    """Info lines from inside the dashboards step are shown (a page build takes minutes);
    info lines from inside other steps are not (they would drown the stage lines)."""
    import logging

    from dagster_project.defs.progress import ProgressFormatter

    formatter = ProgressFormatter("run-progress-test", clock=lambda: 0.0)

    def line(step: str, text: str) -> str | None:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, text, None, None)
        record.dagster_meta = {"step_key": step, "orig_message": text}
        return formatter.line(record)

    assert line("dashboards", "build … 15 s") == "[00:00] dashboards build … 15 s"
    assert line("dbt_models", "planning the build") is None
