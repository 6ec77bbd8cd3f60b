"""Publish: copy the audited build into the published DuckDB file, atomically.

The published file is written under a temporary name next to its final place and then
renamed over it (`os.replace`): a reader either opens the previous publication or the new
one, never a half-written file, and a reader that already has the old file open keeps
reading it. The build database is never read by anyone but the pipeline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_project.core.private import PUBLISHED_FILE_MODE
from dagster_project.core.settings import Settings
from dagster_project.gate.personal import quarantine_select

# schema -> tables published (None: every table of the schema)
PUBLISHED_SCHEMAS: dict[str, list[str] | None] = {"marts": None, "dq": None}

@dataclass(frozen=True)
class Publication:
    run_id: str
    published_at: datetime
    sources_hash: str
    files_loaded: int
    rows_loaded: int
    rows_quarantined: int


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? order by table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def _publication_row(
    con: duckdb.DuckDBPyConnection, run_id: str, published_at: datetime
) -> Publication:
    """What this publication is made of, from the ingest registry of the build DB."""
    sources_hash, files_loaded = con.execute(
        "select coalesce(sha256(string_agg(source || '/' || file_name || '=' || file_hash, '\n' "
        "order by source, file_name)), ''), count(*) from meta.loaded_files"
    ).fetchone()
    rows_loaded, rows_quarantined = con.execute(
        "select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0) "
        "from meta.ingest_results"
    ).fetchone()
    return Publication(
        run_id,
        published_at,
        sources_hash,
        int(files_loaded),
        int(rows_loaded),
        int(rows_quarantined),
    )


def _published_select(schema: str, table: str) -> str:
    """What of a build table is published: all of it, but the quarantine without
    person-level content and the gate results of the publishing run only (`?`: its id; the
    history stays in the build database and in `<data dir>/runs/`)."""
    if (schema, table) == ("dq", "quarantine"):
        return quarantine_select()
    if (schema, table) == ("dq", "gate_results"):
        return "select * from dq.gate_results where run_id = ?"
    return f"select * from {schema}.{table}"


def publish(settings: Settings, run_id: str, published_at: datetime | None = None) -> Publication:
    """Write marts, dq and meta.publication to a temp file, then swap it in atomically."""
    published_at = published_at or datetime.now().replace(microsecond=0)
    target = settings.published_db
    tmp = target.with_name(f".{target.name}.{run_id}.tmp")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
        pub = _publication_row(con, run_id, published_at)
        con.execute(f"attach '{tmp}' as pub")
        try:
            for schema, wanted in PUBLISHED_SCHEMAS.items():
                con.execute(f"create schema pub.{schema}")
                for table in wanted or _tables(con, schema):
                    con.execute(
                        f"create table pub.{schema}.{table} as {_published_select(schema, table)}",
                        [run_id] if (schema, table) == ("dq", "gate_results") else [],
                    )
            con.execute("create schema pub.meta")
            con.execute(
                "create table pub.meta.publication (run_id varchar, published_at timestamp, "
                "sources_hash varchar, files_loaded bigint, rows_loaded bigint, "
                "rows_quarantined bigint)"
            )
            if target.exists():
                # the history of publications travels with the file
                con.execute(f"attach '{target}' as prev (read_only)")
                con.execute("insert into pub.meta.publication select * from prev.meta.publication")
                con.execute("detach prev")
            con.execute(
                "insert into pub.meta.publication values (?, ?, ?, ?, ?, ?)",
                [
                    pub.run_id,
                    pub.published_at,
                    pub.sources_hash,
                    pub.files_loaded,
                    pub.rows_loaded,
                    pub.rows_quarantined,
                ],
            )
        finally:
            con.execute("detach pub")
    # the data dir is owner-only (core/private.py); the publication itself is for readers
    tmp.chmod(PUBLISHED_FILE_MODE)
    os.replace(tmp, target)
    return pub
