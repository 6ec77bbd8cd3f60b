"""The raw layer handed to another engine: `raw.<source>` as Parquet files.

The ingest decides what `raw.*` holds (typed rows of the current exports, with lineage) in
the build database. An engine that builds the dbt models elsewhere (Spark, docs/
architecture.md) reads the same rows from one folder per source, Hive-style
(`<folder>/<source>/part-0.parquet`), which dbt registers as the tables of its `raw`
sources (macro `spark_register_exchange`). Written with DuckDB's `COPY … (FORMAT parquet)`:
no second reading of the exports, and the same types.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

PARQUET_FILE = "part-0.parquet"


def raw_relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The relations of schema raw (the sources' views and tables), sorted."""
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables"
        " where table_catalog = current_database() and table_schema = 'raw' order by 1"
    ).fetchall()]


def export_raw_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Write every `raw.<source>` to `folder/<source>/part-0.parquet` (replacing what was
    there; folders of sources no longer in raw are removed). Returns source -> rows."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = raw_relations(con)
    for stale in folder.iterdir():
        if stale.is_dir() and stale.name not in sources:
            shutil.rmtree(stale)
    rows = {}
    for source in sources:
        target = folder / source
        if target.exists():
            shutil.rmtree(target)
        target.mkdir()
        path = str(target / PARQUET_FILE).replace("'", "''")
        con.execute(f'copy (select * from raw."{source}") to \'{path}\' (format parquet)')
        rows[source] = con.execute(f'select count(*) from raw."{source}"').fetchone()[0]
    return rows
