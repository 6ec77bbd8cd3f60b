"""The project's Dagster storage: Dagster's own SQLite files, with the event log's connections
kept open (dagster_project/dagster_storage.py), on real runs."""

from __future__ import annotations

import dagster as dg

from dagster_project.dagster_storage import KEPT_SHARDS, KeptConnectionsEventLogStorage

PLAIN_SQLITE_YAML = """telemetry:
  enabled: false
storage:
  sqlite:
    base_dir:
      env: DAGSTER_HOME
"""


@dg.asset
def numbers() -> list[int]:
    return [1, 2, 3]


@dg.asset_check(asset=numbers)
def three_numbers(numbers: list[int]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=len(numbers) == 3)


@dg.asset
def total(numbers: list[int]) -> int:
    return sum(numbers)


def _stored(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, list[str]]:
    return {r: [e.dagster_event.event_type_value for e in instance.all_logs(r) if e.dagster_event]
            for r in run_ids}


def test_runs_are_stored_in_dagsters_own_files_by_kept_connections(dagster_home):
    runs = KEPT_SHARDS + 3
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, KeptConnectionsEventLogStorage)
        run_ids = []
        for _ in range(runs):
            result = dg.materialize([numbers, total, three_numbers], instance=instance)
            assert result.success
            run_ids.append(result.run_id)
        # one engine per database file written, the oldest runs' given up
        assert "index" in storage._engines and len(storage._engines) <= KEPT_SHARDS
        # commits do not wait for the disk, which is safe only in WAL mode
        with storage._engines["index"].connect() as conn:
            assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL
        ours = _stored(instance, run_ids)
        latest = instance.get_latest_materialization_event(dg.AssetKey("total"))
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("numbers"), "three_numbers"), limit=runs)
    assert not storage._engines  # closed with the instance
    assert all("ASSET_MATERIALIZATION" in kinds and "ASSET_CHECK_EVALUATION" in kinds
               for kinds in ours.values())
    assert latest.run_id == run_ids[-1] and len(checks) == runs

    # the same Dagster home read by Dagster's plain SQLite storage: the very same history
    (dagster_home / "dagster.yaml").write_text(PLAIN_SQLITE_YAML, encoding="utf-8")
    with dg.DagsterInstance.get() as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert _stored(plain, run_ids) == ours
        assert plain.get_latest_materialization_event(dg.AssetKey("total")).run_id == run_ids[-1]
        assert {r.run_id for r in plain.get_runs()} == set(run_ids)


def test_wiping_the_history_closes_the_kept_connections_first(dagster_home):
    with dg.DagsterInstance.get() as instance:
        first = dg.materialize([numbers], instance=instance).run_id
        instance.event_log_storage.wipe()  # deletes the run files, empties the index
        assert set(instance.event_log_storage._engines) == {"index"}
        assert not instance.all_logs(first)
        second = dg.materialize([numbers], instance=instance).run_id
        assert instance.all_logs(second)


def test_whether_a_table_is_there_is_asked_of_the_database_once(dagster_home, monkeypatch):
    """Dagster asks whether its asset-check tables exist twice per check result stored,
    through a new engine each time (~0.17 s a pipeline run): a table found is remembered;
    a table not there is asked again, and a wipe forgets them all."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    asked: list[str] = []
    real_has_table = SqliteEventLogStorage.has_table

    def spy(self, table_name):
        asked.append(table_name)
        return real_has_table(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", spy)
    with dg.DagsterInstance.get() as instance:
        for _ in range(3):
            assert dg.materialize([numbers, three_numbers], instance=instance).success
        storage = instance.event_log_storage
        assert storage.has_table("asset_check_executions")
        assert asked and len(asked) == len(set(asked))  # each table asked once
        asked.clear()
        assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
        assert asked == ["no_such_table", "no_such_table"]
        asked.clear()
        storage.wipe()
        assert storage.has_table("asset_check_executions")
        assert "asset_check_executions" in asked
