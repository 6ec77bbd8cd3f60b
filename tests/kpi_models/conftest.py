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

from dagster_project.transform.privacy import (
    VERDICT_MODEL,
    derivable_message,
    derivable_rows,
    verdict_rows,
    write_verdict,
)
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
    env = {**os.environ, "LEITSTAND_BUILD_DB": str(database), "DO_NOT_TRACK": "1"}
    # the two parts of the pipeline's build, the privacy rule between them and its audit
    # after them (dagster_project/transform/privacy.py)
    split = f"{VERDICT_MODEL}+"
    parts = [["--exclude", split], ["--select", split]]
    if select:
        parts = [[*part, "--select", select] if part[0] == "--exclude" else
                 ["--select", f"{split},{select}"] for part in parts]
    output = ""
    for number, part in enumerate(parts):
        if number == 1:
            try:
                with duckdb.connect(str(database)) as con:
                    write_verdict(con, verdict_rows(con))
            except (ValueError, duckdb.Error) as exc:
                return DbtBuild(1, output + f"privacy rule: {exc}", database)
        done = subprocess.run(command + part, env=env, capture_output=True, text=True,
                              timeout=600)
        output += done.stdout + done.stderr
        if done.returncode != 0:
            return DbtBuild(done.returncode, output, database)
    with duckdb.connect(str(database)) as con:
        leaks = derivable_rows(con)
    if leaks:
        return DbtBuild(1, output + derivable_message(leaks), database)
    return DbtBuild(0, output, database)


@pytest.fixture(scope="session")
def dbt_build_on(tmp_path_factory):
    """Factory: `dbt_build_on(raw_rows, dbt_vars=None)` -> DbtBuild in a fresh temp dir."""

    def build(raw_rows, dbt_vars=None, select=None) -> DbtBuild:
        return run_dbt_build(tmp_path_factory.mktemp("dbt"), raw_rows, dbt_vars, select)

    return build
