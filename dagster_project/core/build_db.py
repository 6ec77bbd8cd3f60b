"""The build database held open for the length of a run, so that its steps open it cheaply.

Every ingest and gate step opens the build database and closes it again (DuckDB allows one
writer process, and dbt is another process). Opening the file costs ~11 ms (DuckDB reads
its catalog) and the last close ~2 ms or more (a checkpoint); a run opens it ~40 times.
While one connection stays open, DuckDB hands every other connection to the same file in
this process the database already open (its instance cache: ~0.1 ms), so `leitstand run`
keeps one open (`held`) and the dbt step lets go of it while dbt runs (`released`).

The connections so handed out must have the held connection's configuration
(`Settings.duckdb_config()`); a connection with another one fails while the file is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from dagster_project.core.settings import Settings

_held: dict[str, duckdb.DuckDBPyConnection] = {}  # build database path → held connection


def _hold(settings: Settings) -> None:
    path = str(settings.build_db)
    try:
        _held[path] = duckdb.connect(path, config=settings.duckdb_config())
    except duckdb.Error:
        pass  # locked by another process, say: the steps open it as usual and say why


def _let_go(settings: Settings) -> None:
    con = _held.pop(str(settings.build_db), None)
    if con is not None:
        con.close()


@contextmanager
def held(settings: Settings) -> Iterator[None]:
    """Keep the build database open in this process for the duration of a `with` block.

    Only while holding the pipeline lock (core/run_lock.py): a run of another process waiting for
    that lock may still be between its steps, with the file closed.
    """
    if str(settings.build_db) in _held:  # held already (an outer block)
        yield
        return
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    _hold(settings)
    try:
        yield
    finally:
        _let_go(settings)


@contextmanager
def released(settings: Settings) -> Iterator[None]:
    """Close the held build database (if it is held) for the duration of a `with` block:
    another process (dbt) needs its lock."""
    was_held = str(settings.build_db) in _held
    _let_go(settings)
    try:
        yield
    finally:
        if was_held:
            _hold(settings)
