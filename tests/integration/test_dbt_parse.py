"""The parse `leitstand run` starts beside the ingest (dagster_project/dbt_parse.py).

That a new data dir's first run builds on it is shown on the session's real run
(test_pipeline.py); here: where parse state exists, no parse is started, and a parse that
does not end is stopped.
"""

from __future__ import annotations

from dagster_project.dbt_parse import PARSE_STATE_FILE, _running, start_parse, wait_for_parse
from dagster_project.settings import Settings


def test_a_data_dir_with_parse_state_starts_no_parse(tmp_path):
    settings = Settings(sources_dir=tmp_path / "sources", data_dir=tmp_path / "data")
    settings.dbt_target_dir.mkdir(parents=True)
    (settings.dbt_target_dir / PARSE_STATE_FILE).write_bytes(b"state of the run before")
    assert start_parse(settings) is False
    assert settings.dbt_target_dir not in _running
    wait_for_parse(settings.dbt_target_dir)  # nothing to wait for
    assert (settings.dbt_target_dir / PARSE_STATE_FILE).read_bytes() == b"state of the run before"


def test_a_stuck_parse_is_stopped_and_its_state_dropped(tmp_path, monkeypatch):
    """dbt build must not wait for ever, nor read a state the stopped parse half wrote."""
    import subprocess
    import time

    from dagster_project import dbt_parse

    target = tmp_path / "dbt"
    target.mkdir()
    (target / PARSE_STATE_FILE).write_bytes(b"half written")
    monkeypatch.setattr(dbt_parse, "PARSE_TIMEOUT_SECONDS", 0.2)
    stuck = subprocess.Popen(["sleep", "60"])  # stands in for a parse that never ends
    monkeypatch.setitem(_running, target, stuck)
    started = time.monotonic()
    wait_for_parse(target)
    assert time.monotonic() - started < 10
    assert stuck.poll() is not None
    assert not (target / PARSE_STATE_FILE).exists()
    assert target not in _running
