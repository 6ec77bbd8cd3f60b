"""What the incremental-build tests share: a re-run of a data dir as it plans itself, beside
a copy of it built whole, and the check that both hold the same tables (every mart and every
incremental model's table, value for value)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.transform.increment import incremental_models
from dagster_project.transform.plan import forget_build
from dagster_project.transform.project import dbt_project
from tests.conftest import run_pipeline_in

MANIFEST = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
# unique id → the source each incremental model recomputes months by
INCREMENTAL_BY = incremental_models(MANIFEST)
INCREMENTAL = sorted((MANIFEST["nodes"][uid]["schema"], MANIFEST["nodes"][uid]["name"])
                     for uid in INCREMENTAL_BY)


def tables(db: Path) -> dict[str, pd.DataFrame]:
    """Every mart and every incremental model's table, sorted."""
    with duckdb.connect(str(db), read_only=True) as con:
        marts = [("marts", r[0]) for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by 1").fetchall()]
        return {f"{s}.{t}": con.sql(f"select * from {s}.{t} order by all").df()
                for s, t in marts + INCREMENTAL}


def recomputed(db: Path) -> list[tuple[str, dt.date]]:
    """(source, month) the last build recomputed by month (empty: built whole)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select source, month from meta.dbt_increment order by all").fetchall()


def rerun_and_compare(sources: Path, data: Path, whole: Path) -> None:
    """Re-run `data` as it plans itself and a copy of it built whole; the same tables."""
    shutil.rmtree(whole, ignore_errors=True)
    shutil.copytree(data, whole)
    with duckdb.connect(str(whole / "build.duckdb")) as con:
        forget_build(con)
    outcome = run_pipeline_in(sources, data)
    assert outcome.published, outcome.report()
    outcome_whole = run_pipeline_in(sources, whole)
    assert outcome_whole.published, outcome_whole.report()
    assert recomputed(whole / "build.duckdb") == []  # built whole: --full-refresh
    partial, full = tables(data / "build.duckdb"), tables(whole / "build.duckdb")
    assert partial.keys() == full.keys()
    assert len(full) > len(INCREMENTAL) >= 3
    for table, frame in full.items():
        pd.testing.assert_frame_equal(partial[table], frame, check_exact=True, obj=table)
