"""Dagster's SQLite storage, with the event log's database connections kept open.

Dagster's `SqliteEventLogStorage` builds a new SQLAlchemy engine, and so a new SQLite
connection, for every write. A pipeline run stores ~750 events (one per planned and done
asset, check, output and step), and building those engines was ~3 s of the sample's ~30 s
run: storing the 752 events of a sample run took 4.1 s that way and 1.2 s with kept engines.

This storage keeps one engine per database file it writes: the run's own file
(`history/runs/<run id>.db`) and the cross-run index (`history/runs/index.db`), at most
`KEPT_SHARDS` of them, the least recently used given up first (a long-running `dagster dev`
reads many runs). Everything else — files, tables, migrations, the run and schedule
storage — is Dagster's own, so the same `.dagster_home/history/` serves either class. Its
connections also commit without waiting for the disk (see `_commit_without_sync`).

Configured in `.dagster_home/dagster.yaml` (`storage: custom:`); this relies on Dagster's
storage internals, pinned to one Dagster version in `pyproject.toml`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import yaml
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# The run being written and the index are the two that matter; a few more spare the UI
# rebuilding engines while someone clicks between runs.
KEPT_SHARDS = 8


def _commit_without_sync(dbapi_connection, _record) -> None:
    """Commit an event without waiting for the disk (`synchronous=NORMAL`).

    Dagster's files are in WAL mode, where this keeps every file consistent; only the last
    events before a power cut may be missing afterwards. The run history is a log of what
    the pipeline did, not the data it publishes (that is DuckDB's, written with its own
    guarantees). Waiting for the disk at each of a run's ~750 events cost ~0.6 s per run.
    """
    dbapi_connection.execute("pragma synchronous = normal")


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps an engine (with its connection pool) per shard."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_there: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        """Dagster's answer, remembered once the table is there (until `wipe`).

        Dagster asks whether its asset-check tables exist twice per check result a run
        stores, each time through a new engine: ~350 times and ~0.17 s a run.
        """
        if table_name not in self._tables_there and super().has_table(table_name):
            self._tables_there.add(table_name)
        return table_name in self._tables_there

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # Dagster's, minus the new engine
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            event.listen(engine, "connect", _commit_without_sync)
        self._engines[shard] = engine  # the most recently used last
        while len(self._engines) > KEPT_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _close_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_engines()  # the run files are deleted: no connection may keep one open
        self._tables_there.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_engines()
        super().dispose()


class LeitstandSqliteStorage(DagsterSqliteStorage):
    """Dagster's `storage: sqlite:` layout under `base_dir`, with the kept-connections log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        # DagsterSqliteStorage.__init__ would open (and initialise) a plain event log first
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = KeptConnectionsEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> LeitstandSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @property
    def event_storage_data(self) -> ConfigurableClassData | None:
        return ConfigurableClassData(
            __name__,
            KeptConnectionsEventLogStorage.__name__,
            yaml.dump({"base_dir": _event_logs_directory(self.base_dir)}, default_flow_style=False),
        )
