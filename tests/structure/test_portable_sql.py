"""The dbt project stays portable: it compiles for DuckDB and for Spark, and no SQL that only
DuckDB understands is left in the models outside dispatched macros (docs/architecture.md,
"Engines").

Compiled without a live engine (`--no-introspect`), so neither a build database nor a
Spark session is needed; `int_min_group_size_resolved` reads raw.settings while it
compiles and is left out here (its SQL is dbt's own cross-database macros; the Spark
equality test, tests/integration/test_spark_engine.py, runs it for real).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.core.settings import DBT_PROJECT_DIR

DBT = Path(sys.executable).with_name("dbt")
# compile-time readers of data (they need a live engine), see the module docstring
READS_DATA_WHILE_COMPILING = ["int_min_group_size_resolved"]

# What DuckDB accepts and Spark SQL does not (or computes differently): each with the
# dispatched macro to use instead.
DUCKDB_ONLY = {
    r"\bdouble\s+precision\b": "{{ type_double() }}",
    r"(?<![:/])//(?!/)": "{{ int_div(a, b) }}",
    r"::\s*[a-z]": "cast(x as {{ ... }})",
    r"\bvarchar\b": "{{ dbt.type_string() }} (Spark wants a length)",
    r"\bstrftime\s*\(": "a dispatched date macro",
    r"\bepoch(_ms)?\s*\(": "a dispatched date macro",
    r"\bdate_diff\s*\(": "{{ dbt.datediff(...) }}",
    r"\blist_[a-z_]+\s*\(": "portable SQL",
    r"\bstring_agg\s*\(": "{{ dbt.listagg(...) }}",
    r"\bregexp_matches\s*\(": "a dispatched string macro",
    r"\bunnest\s*\(": "portable SQL",
    r"\bqualify\b": "a window in a CTE and a where",
    r"\bmedian\s*\(": "{{ median(x) }}",
}


def _offences(sql: str) -> list[str]:
    text = re.sub(r"--[^\n]*", "", sql)  # comments may say anything
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"'(?:[^']|'')*'", "''", text)  # and so may string literals
    return [f"{pattern} (use {fix})" for pattern, fix in DUCKDB_ONLY.items()
            if re.search(pattern, text, flags=re.I)]


def _without_jinja(text: str) -> str:
    """A model's own SQL: Jinja comments, expressions and statements taken out."""
    return re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)


def _compile(target: str, tmp: Path) -> Path:
    out = tmp / target
    done = subprocess.run(
        [str(DBT), "compile", "--target", target, "--no-introspect",
         "--exclude", *READS_DATA_WHILE_COMPILING,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(out / "target"), "--log-path", str(out / "logs")],
        env={**os.environ, "LEITSTAND_BUILD_DB": str(tmp / "unused.duckdb"),
             "LEITSTAND_SPARK_DIR": str(tmp / "spark"), "DO_NOT_TRACK": "1"},
        cwd=tmp,
        capture_output=True, text=True, timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return out / "target" / "compiled"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("compiled")
    return {target: _compile(target, tmp) for target in ("build", "spark")}


def test_the_project_compiles_for_spark_without_duckdb_only_sql(compiled):
    files = sorted(compiled["spark"].rglob("*.sql"))
    assert len(files) > 50  # models and tests
    found = {str(f.relative_to(compiled["spark"])): o for f in files
             if (o := _offences(f.read_text(encoding="utf-8")))}
    assert found == {}


def test_the_project_compiles_for_duckdb_with_its_dialect_where_dispatched(compiled):
    # the DuckDB side of the dispatched macros is what its build has always run
    median_model = next(compiled["build"].rglob("int_order_lead_time_days_rolled_up.sql"))
    assert "//" in median_model.read_text(encoding="utf-8")


def test_no_model_writes_duckdb_only_sql_itself():
    """Outside the dispatched macros: what each model and test file says in its own text."""
    files = [p for folder in ("models", "tests") for p in (DBT_PROJECT_DIR / folder).rglob("*.sql")]
    found = {str(p.relative_to(DBT_PROJECT_DIR)): o for p in files
             if (o := _offences(_without_jinja(p.read_text(encoding="utf-8"))))}
    assert found == {}


def test_the_scan_finds_what_spark_would_reject():
    assert _offences("select cast(x as double precision), a // 2 from t")
    assert _offences("select x::int from t")
    assert not _offences("select cast(x as double) -- a // comment\nfrom t where y = 'a // b'")
