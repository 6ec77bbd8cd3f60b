"""The dbt process `leitstand run` starts with the run (dagster_project/transform/warm.py).

That a real run builds in it, on the manifest it parsed, is shown on the session's real run
(test_pipeline.py). Here, on real dbt processes: the relay hands a command over and gives
back dbt's output and exit code; a new data dir starts from the parse state of `make
setup`; a process the run did not use ends with the run; one that ends before it is ready,
or never gets ready, leaves the dbt step to start dbt as usual, without a parse state it
may have half written.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time

import duckdb
import pytest

from dagster_project.core.settings import DBT_PROJECT_DIR, Settings
from dagster_project.transform import warm as dbt_warm
from dagster_project.transform.profile import write_profile


@pytest.fixture
def settings(tmp_path, monkeypatch):
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    for name in ("LEITSTAND_BUILD_DB", "LEITSTAND_DUCKDB_MEMORY_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    write_profile(settings)  # the run's profile: dbt builds into this data dir's database
    yield settings
    dbt_warm.stop(settings.dbt_target_dir)


def relay(executable: str, target, *args: str) -> subprocess.CompletedProcess:
    """Run the relay as dagster-dbt runs dbt: in the project folder, with its DBT_ variables."""
    env = {**os.environ, "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
           "DBT_PROFILES_DIR": str(target), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(target)}
    return subprocess.run([executable, *args], cwd=DBT_PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_relay_hands_the_command_to_the_dbt_that_parsed_and_relays_its_answer(settings):
    target = settings.dbt_target_dir
    dbt_warm.start(settings)
    waiting = dbt_warm._waiting[target]
    executable = dbt_warm.warm_executable(target)
    assert executable is not None
    assert (target / dbt_warm.PARSE_STATE_FILE).exists()  # parsed into the data dir
    listed = relay(executable, target, "ls", "--resource-type", "model", "--output", "name")
    assert listed.returncode == 0, listed.stdout
    names = set(listed.stdout.split())
    assert {"kpi_monthly", "int_privacy_cells_suppressed", "stg_erp_orders__orders"} <= names
    assert waiting.process.poll() is None  # it waits for the build's second part
    assert dbt_warm.warm_executable(target) == executable
    again = relay(executable, target, "ls", "--resource-type", "seed", "--output", "name")
    assert again.returncode == 0, again.stdout
    assert "kpi_catalog" in again.stdout.split()
    waiting.process.wait(timeout=30)  # two commands per process: it ends after them
    assert dbt_warm.warm_executable(target) is None


def test_a_new_data_dir_parses_from_the_state_make_setup_left_and_builds_into_its_database(
        settings):
    """The process parses with the repo's profile as `make setup` parsed with it (`PARSE_ENV`),
    so a new data dir's parse starts from the state setup left in dbt/target instead of
    parsing in full; what it builds goes to the run's own build database (its profile)."""
    assert (DBT_PROJECT_DIR / "target" / dbt_warm.PARSE_STATE_FILE).is_file()  # make setup
    target = settings.dbt_target_dir
    dbt_warm.start(settings)
    executable = dbt_warm.warm_executable(target)
    assert executable is not None
    events = {json.loads(line)["info"]["name"]
              for line in (target / "dbt.log").read_text(encoding="utf-8").splitlines()}
    assert "PartialParsingEnabled" in events and "UnableToPartialParse" not in events
    seeded = relay(executable, target, "seed", "--select", "builtin_channel_map")
    assert seeded.returncode == 0, seeded.stdout
    with duckdb.connect(str(settings.build_db), read_only=True) as con:
        assert con.execute("select count(*) from staging.builtin_channel_map").fetchone()[0]


def test_a_failed_build_comes_back_through_the_relay_with_dbts_exit_code(settings):
    """No raw tables in a new data dir: the staging view cannot be built (dbt's code 1)."""
    target = settings.dbt_target_dir
    dbt_warm.start(settings)
    executable = dbt_warm.warm_executable(target)
    failed = relay(executable, target, "run", "--select", "stg_config__settings")
    assert failed.returncode == 1
    assert "stg_config__settings" in failed.stdout and "ERROR" in failed.stdout
    # the build database is free the moment the relay has ended (the step reads row counts)
    duckdb.connect(str(settings.build_db)).close()


def test_a_command_dbt_refuses_comes_back_through_the_relay(settings):
    target = settings.dbt_target_dir
    dbt_warm.start(settings)
    executable = dbt_warm.warm_executable(target)
    refused = relay(executable, target, "build", "--no-such-flag")
    assert refused.returncode == 2  # dbt's code for an error it did not handle
    assert "no-such-flag" in refused.stdout


def test_a_dbt_process_the_run_did_not_use_ends_with_the_run(settings):
    target = settings.dbt_target_dir
    dbt_warm.start(settings)
    waiting = dbt_warm._waiting[target]
    dbt_warm.stop(target)
    assert waiting.process.returncode == 0  # it ended when its stdin did, not killed
    assert not waiting.folder.exists()
    assert target not in dbt_warm._waiting
    assert dbt_warm.warm_executable(target) is None  # the step starts dbt as usual


def test_a_dbt_process_that_never_gets_ready_is_stopped_and_its_state_dropped(tmp_path,
                                                                             monkeypatch):
    """The dbt step must not wait for ever, nor build on a state a stopped parse half wrote."""
    target = tmp_path / "dbt"
    target.mkdir()
    (target / dbt_warm.PARSE_STATE_FILE).write_bytes(b"half written")
    monkeypatch.setattr(dbt_warm, "PARSE_TIMEOUT_SECONDS", 0.2)
    monkeypatch.setattr(dbt_warm, "STOP_GRACE_SECONDS", 0)
    ready_read, ready_write = os.pipe()  # never written to
    stuck = subprocess.Popen(["sleep", "60"], stdin=subprocess.PIPE)  # a parse that never ends
    folder = tmp_path / "private"
    folder.mkdir()
    monkeypatch.setitem(dbt_warm._waiting, target, dbt_warm._Waiting(stuck, ready_read, folder))
    started = time.monotonic()
    assert dbt_warm.warm_executable(target) is None
    assert time.monotonic() - started < 30
    assert stuck.poll() is not None
    assert not (target / dbt_warm.PARSE_STATE_FILE).exists()
    assert target not in dbt_warm._waiting
    os.close(ready_write)


def test_a_dbt_process_that_ends_before_it_is_ready_leaves_dbt_to_start_as_usual(tmp_path,
                                                                                 monkeypatch):
    target = tmp_path / "dbt"
    target.mkdir()
    ready_read, ready_write = os.pipe()
    ended = subprocess.Popen(["true"], stdin=subprocess.PIPE)  # e.g. dbt failed to import
    os.close(ready_write)  # what its end does to the pipe
    folder = tmp_path / "private"
    folder.mkdir()
    monkeypatch.setitem(dbt_warm._waiting, target, dbt_warm._Waiting(ended, ready_read, folder))
    assert dbt_warm.warm_executable(target) is None
    assert target not in dbt_warm._waiting and not folder.exists()


def test_a_dbt_process_that_cannot_be_started_leaves_dbt_to_start_as_usual(settings, tmp_path,
                                                                          monkeypatch, caplog):
    def cannot_start(*args, **kwargs):
        raise OSError("Resource temporarily unavailable")

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where its private folder goes
    monkeypatch.setattr(dbt_warm.subprocess, "Popen", cannot_start)
    dbt_warm.start(settings)  # the run goes on
    assert settings.dbt_target_dir not in dbt_warm._waiting
    assert dbt_warm.warm_executable(settings.dbt_target_dir) is None
    assert "dbt not started ahead of its step" in caplog.text
    assert not list(temp.iterdir())  # its private folder removed
