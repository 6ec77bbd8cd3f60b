"""The one way the gate opens the build database.

DuckDB allows one read-write process per file, and inside a process a second connection
to a file that is already open read-write fails. The checks therefore open the build
database read-write, one at a time, inside a `with` block, and close it right after, so
that dbt (a subprocess) can take the lock again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from dagster_project.core.settings import Settings


@contextmanager
def build_connection(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open `settings.build_db` read-write for the duration of a `with` block."""
    settings.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.build_db), config=settings.duckdb_config())
    try:
        yield con
    finally:
        con.close()


def split_name(table: str) -> tuple[str, str]:
    """`raw.erp_orders` → (`raw`, `erp_orders`)."""
    schema, _, name = table.partition(".")
    if not name:
        raise ValueError(f"table name {table!r} needs a schema, e.g. 'raw.{table}'")
    return schema, name


def table_column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → DuckDB type name (`DECIMAL(18,2)`, `DATE`, …) of `schema.table` (or
    view), in order; empty when it does not exist.

    From binding a query that is never run: ~0.2 ms, where `information_schema.columns`
    took ~2.5 ms (it lists every column of the database), ~130 times per gate.
    """
    schema, name = split_name(table)
    try:
        relation = con.sql(f"select * from {quote(schema)}.{quote(name)}")
    except duckdb.CatalogException:
        return {}
    return {c: str(t) for c, t in zip(relation.columns, relation.dtypes, strict=True)}


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of `schema.table` (or view) in order; empty when it does not exist."""
    return list(table_column_types(con, table))


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(table_columns(con, table))


def quote(identifier: str) -> str:
    """A DuckDB identifier in double quotes (column names come from suite files)."""
    return '"' + identifier.replace('"', '""') + '"'


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed.

    DuckDB 2.x refuses new work on a connection while a result is only partly fetched, so
    `fetchone()` followed by another query fails; this reads the result to its end.
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None
