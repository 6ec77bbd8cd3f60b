"""Run the real dbt project against hand-built raw tables in a temporary DuckDB.

Each build gets its own database, target and log directories under `tmp_path`, so tests
never touch `data/` or the `dbt/target/` that Dagster reads its manifest from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.kpi_models.raw_layer import create_raw_layer, org_unit_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@dataclass
class DbtBuild:
    """The outcome of one `dbt build`: exit code, console output, and the database."""

    returncode: int
    output: str
    database: Path

    def query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


def run_dbt_build(
    workdir: Path,
    raw_rows: Mapping[str, Iterable[Mapping[str, object]]],
    dbt_vars: Mapping[str, object] | None = None,
    select: str | None = None,
) -> DbtBuild:
    """Create raw.* from `raw_rows` (org tree defaults to the sample company's) and build."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "build.duckdb"
    rows = {"org_units": org_unit_rows(), **raw_rows}
    with duckdb.connect(str(database)) as con:
        create_raw_layer(con, rows)
    command = [
        str(DBT_EXECUTABLE), "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(workdir / "target"),
        "--log-path", str(workdir / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dict(dbt_vars))]
    if select:
        command += ["--select", select]
    env = {**os.environ, "LEITSTAND_BUILD_DB": str(database), "DO_NOT_TRACK": "1"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    return DbtBuild(done.returncode, done.stdout + done.stderr, database)


@pytest.fixture(scope="session")
def dbt_build_on(tmp_path_factory):
    """Factory: `dbt_build_on(raw_rows, dbt_vars=None)` -> DbtBuild in a fresh temp dir."""

    def build(raw_rows, dbt_vars=None, select=None) -> DbtBuild:
        return run_dbt_build(tmp_path_factory.mktemp("dbt"), raw_rows, dbt_vars, select)

    return build
