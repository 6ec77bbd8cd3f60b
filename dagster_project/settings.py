"""Where Leitstand reads and writes: one place, read from the environment.

Every part (Dagster assets, dbt's profile, the CLI, the tests) asks this module for its
paths, so that `LEITSTAND_SOURCES_DIR` and `LEITSTAND_DATA_DIR` mean the same everywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_SOURCES_DIR = REPO_ROOT / "sources"  # when neither an argument nor the environment says
DEFAULT_DATA_DIR = REPO_ROOT / "data"
DASHBOARDS_DIR = REPO_ROOT / "dashboards"

SOURCES_ENV = "LEITSTAND_SOURCES_DIR"
DATA_ENV = "LEITSTAND_DATA_DIR"
# dbt's profile reads the build database path from this variable (set by `Settings.export`).
BUILD_DB_ENV = "LEITSTAND_BUILD_DB"
# How much memory DuckDB may use per connection of the pipeline (and dbt's); beyond it,
# DuckDB spills to a temp folder beside the build database. Its own default is 80 % of
# the machine's RAM, which let one ingest of 10 M order rows take 7 GB (bench/README.md).
MEMORY_LIMIT_ENV = "LEITSTAND_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"


def duckdb_config() -> dict[str, str]:
    """The `config` for every read-write connection to the build database."""
    return {"memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT}


@dataclass(frozen=True)
class Settings:
    """The two folders a run works on; everything else is derived from them."""

    sources_dir: Path
    data_dir: Path

    @property
    def build_db(self) -> Path:
        """The database a run writes into (the only file the pipeline writes while it runs)."""
        return self.data_dir / "build.duckdb"

    @property
    def published_db(self) -> Path:
        """The audited database that readers and dashboards use; replaced atomically."""
        return self.data_dir / "leitstand.duckdb"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for this data dir: the last build's artifacts and the parse
        state dbt reuses next time (one folder, overwritten by each run)."""
        return self.data_dir / "dbt"

    @property
    def runs_dir(self) -> Path:
        """Run reports (JSON), one per run, also for blocked runs."""
        return self.data_dir / "runs"

    def export(self) -> None:
        """Put the paths into the environment so that subprocesses (dbt) see the same ones."""
        os.environ[SOURCES_ENV] = str(self.sources_dir)
        os.environ[DATA_ENV] = str(self.data_dir)
        os.environ[BUILD_DB_ENV] = str(self.build_db)
        os.environ.setdefault(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)


def load_settings(
    sources_dir: str | Path | None = None, data_dir: str | Path | None = None
) -> Settings:
    """Settings from explicit arguments, else the environment, else the repo defaults."""
    src = Path(sources_dir or os.environ.get(SOURCES_ENV) or DEFAULT_SOURCES_DIR)
    data = Path(data_dir or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR)
    return Settings(sources_dir=src.resolve(), data_dir=data.resolve())
