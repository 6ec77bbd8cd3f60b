"""What the dbt step does differently per engine (docs/architecture.md, "Engines").

DuckDB builds the models inside the build database. Spark (LEITSTAND_ENGINE=spark) builds
them in a local pyspark inside dbt's process, from the raw layer handed over as Parquet
(`ingest/parquet.py`), into Parquet tables under `<data dir>/spark/warehouse`; the
pipeline reads those files with DuckDB: the privacy rule's inputs between the two parts of
the build, the audit's input and the marts after it. The marts are loaded into the build
database, so the gate, publish, dashboards and queries after dbt are the same for both.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.core.settings import Settings
from dagster_project.ingest.parquet import PARQUET_FILE, export_raw_parquet
from dagster_project.transform.privacy import (
    AUDIT_INPUTS,
    RULE_INPUTS,
    VERDICT_SCHEMA,
    VERDICT_TABLE,
    parquet_views,
    write_verdict,
    write_verdict_parquet,
)

MARTS_SCHEMA = "marts"


def is_spark(settings: Settings) -> bool:
    return settings.engine == "spark"


def warehouse(settings: Settings) -> Path:
    return settings.spark_dir / "warehouse"


def dbt_engine_args(settings: Settings) -> list[str]:
    """Extra `dbt build` arguments of the engine: Spark learns where the Parquet is."""
    if not is_spark(settings):
        return []
    return ["--vars", json.dumps({"spark_exchange_dir": str(settings.spark_dir)})]


def hand_over_raw(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Before dbt: on Spark, the raw layer as Parquet (`<spark dir>/raw/<source>/`)."""
    if is_spark(settings):
        _own_catalog(settings)
        export_raw_parquet(con, settings.spark_dir / "raw")


CATALOG_OWNER = "catalog-of"  # the folder whose files the metastore's tables point at


def _own_catalog(settings: Settings) -> None:
    """A metastore that came with a copied or moved data dir points at the old folder's
    files (dropping one of its tables would delete them there): start it anew."""
    spark = settings.spark_dir
    marker = spark / CATALOG_OWNER
    here = str(spark.resolve())
    if marker.is_file() and marker.read_text(encoding="utf-8") == here:
        return
    for folder in ("metastore_db", "warehouse"):
        shutil.rmtree(spark / folder, ignore_errors=True)
    spark.mkdir(parents=True, exist_ok=True)
    marker.write_text(here, encoding="utf-8")


@contextmanager
def models_reader(settings: Settings, relations: tuple[tuple[str, str], ...]
                  ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection in which `relations` ((schema, model)) are readable: the build
    database, or views over Spark's Parquet tables."""
    if is_spark(settings):
        with duckdb.connect(config=settings.duckdb_config()) as con:
            parquet_views(con, warehouse(settings), relations)
            yield con
    else:
        with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
            yield con


def store_verdict(settings: Settings, rows: list[tuple[str, str, str, bool]]) -> None:
    """The privacy rule's verdict where the second part of the build reads it."""
    if is_spark(settings):
        write_verdict_parquet(
            settings.spark_dir / VERDICT_SCHEMA / VERDICT_TABLE / PARQUET_FILE, rows)
    else:
        with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
            write_verdict(con, rows)


def load_marts(settings: Settings) -> list[str]:
    """After a Spark build: its marts replace `marts.*` of the build database (as the
    Parquet files hold them: the types are the models' contracts). Returns the marts."""
    if not is_spark(settings):
        return []
    folder = warehouse(settings) / f"{MARTS_SCHEMA}.db"
    marts = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    with duckdb.connect(str(settings.build_db), config=settings.duckdb_config()) as con:
        con.execute("begin")
        con.execute(f"drop schema if exists {MARTS_SCHEMA} cascade")
        con.execute(f"create schema {MARTS_SCHEMA}")
        for mart in marts:
            files = str(folder / mart / "*.parquet").replace("'", "''")
            con.execute(f"create table {MARTS_SCHEMA}.{mart} as"
                        f" select * from read_parquet('{files}')")
        con.execute("commit")
    return marts


RULE_RELATIONS = RULE_INPUTS
AUDIT_RELATIONS = AUDIT_INPUTS + tuple(r for r in RULE_INPUTS
                                       if r[1] in ("int_org_units_ranked",
                                                   "int_min_group_size_resolved"))
