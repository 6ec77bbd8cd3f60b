"""The sources sensor: one run per new folder state, none for an unchanged folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.sensors import (
    FolderState,
    evaluate_sources,
    fingerprint,
)

FOLDERS = ["erp_orders", "config"]
LONG_AGO = time.time() + 3600  # "now" far after every mtime: nothing is still being written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def sources(tmp_path) -> Path:
    root = tmp_path / "sources"
    _write(root / "config" / "org_units.csv", "org_unit_id;name;parent_id\nHAT;Hagedorn;\n")
    _write(root / "erp_orders" / "orders_2026-09-30.csv", "order_id;net_amount\nA1;10,5\n")
    return root


def _tick(sources: Path, cursor: str | None, now: float = LONG_AGO) -> dg.SensorResult:
    return evaluate_sources(sources, FOLDERS, cursor, now=now)


def test_first_look_requests_one_run_and_an_unchanged_folder_none(sources):
    first = _tick(sources, None)
    assert len(first.run_requests) == 1
    assert first.run_requests[0].run_key
    second = _tick(sources, first.cursor)
    assert not second.run_requests
    assert "unchanged" in second.skip_reason.skip_message


def test_a_new_file_requests_exactly_one_run_with_a_new_key(sources):
    first = _tick(sources, None)
    _write(sources / "erp_orders" / "orders_2026-10-31.csv", "order_id;net_amount\nA2;7\n")
    second = _tick(sources, first.cursor)
    assert len(second.run_requests) == 1
    request = second.run_requests[0]
    assert request.run_key != first.run_requests[0].run_key
    assert "added erp_orders/orders_2026-10-31.csv" in request.tags["leitstand/changes"]
    assert not _tick(sources, second.cursor).run_requests


@pytest.mark.parametrize("change", ["content", "config", "removed"])
def test_changed_config_and_removed_files_request_a_run(sources, change):
    first = _tick(sources, None)
    if change == "content":
        _write(sources / "erp_orders" / "orders_2026-09-30.csv", "order_id;net_amount\nA1;11\n")
    elif change == "config":
        _write(sources / "config" / "org_units.csv", "org_unit_id;name;parent_id\nHAT;H GmbH;\n")
    else:
        (sources / "erp_orders" / "orders_2026-09-30.csv").unlink()
    assert len(_tick(sources, first.cursor).run_requests) == 1


def test_touching_a_file_without_changing_bytes_triggers_nothing(sources):
    first = _tick(sources, None)
    path = sources / "erp_orders" / "orders_2026-09-30.csv"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    again = _tick(sources, first.cursor)
    assert not again.run_requests
    # the cache learned the new mtime, so the next tick reads nothing
    state = fingerprint(sources, FOLDERS, FolderState.from_cursor(again.cursor))
    assert state.hashed == 0


def test_the_key_depends_on_content_not_on_time_or_order_of_listing(sources, tmp_path):
    copy = tmp_path / "copy"
    for p in sorted(sources.rglob("*"), reverse=True):
        if p.is_file():
            _write(copy / p.relative_to(sources), p.read_text(encoding="utf-8"))
    assert fingerprint(copy, FOLDERS).run_key == fingerprint(sources, FOLDERS).run_key
    _write(copy / "erp_orders" / "orders_2026-09-30.csv", "order_id;net_amount\nA1;10,6\n")
    assert fingerprint(copy, FOLDERS).run_key != fingerprint(sources, FOLDERS).run_key


def test_unchanged_files_are_not_read_again(sources):
    state = fingerprint(sources, FOLDERS)
    assert state.hashed == 2
    _write(sources / "erp_orders" / "orders_2026-10-31.csv", "order_id;net_amount\nA2;7\n")
    again = fingerprint(sources, FOLDERS, FolderState.from_cursor(state.to_cursor()))
    assert again.hashed == 1 and len(again.files) == 3


def test_lock_hidden_partial_files_and_other_folders_are_ignored(sources):
    first = _tick(sources, None)
    _write(sources / "erp_orders" / "~$orders_2026-09-30.xlsx", "lock")
    _write(sources / "erp_orders" / ".DS_Store", "x")
    _write(sources / "erp_orders" / "orders_2026-11-30.csv.part", "order_id")
    _write(sources / "not_a_source" / "notes.csv", "a;b\n")
    assert not _tick(sources, first.cursor).run_requests


def test_a_file_still_being_written_waits_for_the_next_tick(sources):
    first = _tick(sources, None)
    path = _write(sources / "erp_orders" / "orders_2026-10-31.csv", "order_id;net_amount\nA2;7\n")
    just_now = path.stat().st_mtime + 1
    waiting = _tick(sources, first.cursor, now=just_now)
    assert not waiting.run_requests and "settle" in waiting.skip_reason.skip_message
    assert len(_tick(sources, first.cursor).run_requests) == 1


def test_missing_or_empty_folder_is_a_skip_with_a_reason(tmp_path):
    missing = evaluate_sources(tmp_path / "nope", FOLDERS, None, now=LONG_AGO)
    assert "does not exist" in missing.skip_reason.skip_message
    (tmp_path / "empty").mkdir()
    empty = evaluate_sources(tmp_path / "empty", FOLDERS, None, now=LONG_AGO)
    assert "no export files" in empty.skip_reason.skip_message


def test_a_cursor_of_another_format_starts_over(sources):
    assert len(_tick(sources, '{"something": "else"}').run_requests) == 1
    assert len(_tick(sources, "not json").run_requests) == 1


def test_the_registered_sensor_requests_one_run_then_none(sources, monkeypatch, dagster_home):
    """The sensor as Dagster evaluates it (with the definitions' resources), on the folders
    the ingest reads."""
    from dagster_project.defs.definitions import defs
    from dagster_project.defs.resources import LeitstandPaths
    from dagster_project.defs.sensors import SENSOR_NAME

    monkeypatch.setenv("LEITSTAND_SOURCES_DIR", str(sources))
    old = time.time() - 3600
    for p in sources.rglob("*"):
        os.utime(p, (old, old))
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    resources = {"paths": LeitstandPaths()}  # as the definitions bind it
    with dg.DagsterInstance.get() as instance:
        first = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, resources=resources))
        assert len(first.run_requests) == 1
        assert first.run_requests[0].job_name in (None, "leitstand")
        second = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources)
        )
        assert not second.run_requests
