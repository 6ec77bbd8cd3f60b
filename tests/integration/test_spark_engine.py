"""The same dbt project on Spark publishes what DuckDB publishes (docs/architecture.md,
"Engines"): the sample company run once with each engine, every published mart equal —
the same rows, keys and flags exactly, numbers to 1e-9, the same suppression.

Kept cheap for CI: the DuckDB side is the session's pipeline run; the Spark side re-runs a
copy of its data dir with LEITSTAND_ENGINE=spark (the ingest finds nothing new), one
local Spark per dbt part with the run's small configuration (transform/profile.py).
Needs Java (`.ci/run` installs it where it is missing).
"""

from __future__ import annotations

import math
import shutil
import time

import duckdb
import pytest

from tests.conftest import run_pipeline_in

TOLERANCE = 1e-9


def _marts(path) -> dict[str, tuple[list[tuple[str, str]], list[tuple]]]:
    """mart -> (columns with types, rows sorted by all columns)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " and table_catalog = current_database() order by 1").fetchall()]
        out = {}
        for name in names:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [name]).fetchall()
            rows = con.execute(f"select * from marts.{name} order by all").fetchall()
            out[name] = (columns, rows)
        return out


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def differences(duck, spark) -> list[str]:
    """What differs between two sets of marts (empty: equal)."""
    found = []
    if sorted(duck) != sorted(spark):
        found.append(f"marts {sorted(duck)} vs {sorted(spark)}")
    for name in sorted(set(duck) & set(spark)):
        (cols_d, rows_d), (cols_s, rows_s) = duck[name], spark[name]
        if cols_d != cols_s:
            found.append(f"{name}: columns {cols_d} vs {cols_s}")
            continue
        if len(rows_d) != len(rows_s):
            found.append(f"{name}: {len(rows_d)} rows vs {len(rows_s)}")
            continue
        for row_d, row_s in zip(rows_d, rows_s, strict=True):
            if not all(_same(a, b) for a, b in zip(row_d, row_s, strict=True)):
                found.append(f"{name}: {row_d} vs {row_s}")
                break
    return found


def test_differences_sees_a_changed_value_and_a_changed_flag():
    cols = [("value", "DOUBLE"), ("suppressed", "BOOLEAN")]
    duck = {"kpi_monthly": (cols, [(0.5, False), (None, True)])}
    assert differences(duck, duck) == []
    assert differences(duck, {"kpi_monthly": (cols, [(0.5 + 1e-12, False), (None, True)])}) == []
    assert differences(duck, {"kpi_monthly": (cols, [(0.5001, False), (None, True)])})
    assert differences(duck, {"kpi_monthly": (cols, [(0.5, False), (None, False)])})


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (.ci/run installs it)")
def test_the_sample_on_spark_publishes_the_marts_duckdb_publishes(pipeline_run, copied_run,
                                                                  monkeypatch):
    assert pipeline_run.outcome.published, pipeline_run.outcome.report()
    # a part of the build takes ~40-90 s on Spark, more under load (tests/conftest.py allows 240 s)
    monkeypatch.setenv("LEITSTAND_DBT_TIMEOUT_SECONDS", "1200")
    # nothing of DuckDB's build may stand in for Spark's: no marts, no published file
    with duckdb.connect(str(copied_run.data_dir / "build.duckdb")) as con:
        con.execute("drop schema marts cascade")
    copied_run.published_db.unlink()
    started = time.monotonic()
    outcome = run_pipeline_in(copied_run.sources_dir, copied_run.data_dir, engine="spark")
    seconds = time.monotonic() - started
    assert outcome.published, outcome.report()
    print(f"the sample on Spark (gate, two dbt parts, publish): {seconds:.1f} s")
    duck, spark = _marts(pipeline_run.published_db), _marts(copied_run.published_db)
    assert differences(duck, spark) == []
    warehouse = copied_run.data_dir / "spark" / "warehouse" / "marts.db"
    assert sorted(p.name for p in warehouse.iterdir()) == sorted(spark)
    columns, rows = spark["kpi_monthly"]
    flag = [name for name, _ in columns].index("suppressed")
    assert any(row[flag] for row in rows)  # the privacy rule had work to do, on both
