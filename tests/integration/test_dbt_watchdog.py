"""The watchdog that stops a stuck `dbt build`, on real processes."""

import subprocess
import sys

from dagster_project.transform.build import dbt_watchdog


def test_watchdog_kills_a_process_that_outlives_its_time_and_dumps_the_stacks(tmp_path):
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    stacks = tmp_path / "runs" / "stacks.txt"
    with dbt_watchdog(stuck, 0.5, stacks) as timed_out:
        returncode = stuck.wait(timeout=30)
    assert timed_out.is_set()
    assert returncode != 0
    assert "test_watchdog_kills_a_process" in stacks.read_text(encoding="utf-8")


def test_watchdog_leaves_a_process_alone_that_finishes_in_time(tmp_path):
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    stacks = tmp_path / "stacks.txt"
    with dbt_watchdog(quick, 30, stacks) as timed_out:
        assert quick.wait(timeout=30) == 0
    assert not timed_out.is_set()
    assert not stacks.exists()


def test_a_failure_while_reading_dbt_fails_the_run_at_once(sample_company, tmp_path,
                                                          monkeypatch):
    """dbt builds a model that the manifest Dagster loaded does not know (one added without
    `make setup`): turning its event into Dagster's fails. The run must fail with that
    error, not wait for dbt, which waits for someone to read its output (the "dbt hang")."""
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

    from tests.conftest import run_pipeline_in

    real = DbtCoreCliEventMessage.to_default_asset_events
    converted = []

    def fails_on_the_third(self, *args, **kwargs):
        converted.append(self)
        if len(converted) == 3:
            raise KeyError("model.leitstand.int_model_dagster_does_not_know")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(DbtCoreCliEventMessage, "to_default_asset_events", fails_on_the_third)
    monkeypatch.setenv("LEITSTAND_DBT_TIMEOUT_SECONDS", "120")  # the watchdog must not end it
    sources, _ = sample_company
    outcome = run_pipeline_in(sources, tmp_path / "data")
    assert not outcome.published
    assert any("int_model_dagster_does_not_know" in f for f in outcome.failures), outcome.failures
    assert not list((tmp_path / "data" / "runs").glob("*.dbt-stacks.txt"))  # no watchdog
