"""Where Leitstand reads and writes, and how much memory DuckDB may use: one `Settings`.

`load_settings` builds it once per command from the CLI flags, then the environment
(`LEITSTAND_SOURCES_DIR`, `LEITSTAND_DATA_DIR`, `LEITSTAND_DUCKDB_MEMORY_LIMIT`), then the
repo defaults; from there it is handed to what needs it (the Dagster `paths` resource
carries it through a run). Nothing writes it back into the environment: dbt, a process of
its own, gets its profile written from these settings (`transform/profile.py`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
DEFAULT_SOURCES_DIR = REPO_ROOT / "sources"  # when neither an argument nor the environment says
DEFAULT_DATA_DIR = REPO_ROOT / "data"
DASHBOARDS_DIR = REPO_ROOT / "dashboards"

SOURCES_ENV = "LEITSTAND_SOURCES_DIR"
DATA_ENV = "LEITSTAND_DATA_DIR"
# How much memory DuckDB may use per connection of the pipeline (and dbt's); beyond it,
# DuckDB spills to a temp folder beside the build database. Its own default is 80 % of
# the machine's RAM, which let one ingest of 10 M order rows take 7 GB (bench/README.md).
MEMORY_LIMIT_ENV = "LEITSTAND_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"
# Which engine builds the dbt models (docs/architecture.md): DuckDB in the build database,
# or Spark (dbt-spark's session method on a local pyspark) from the raw layer as Parquet.
ENGINE_ENV = "LEITSTAND_ENGINE"
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


@dataclass(frozen=True)
class Settings:
    """The two folders a run works on and DuckDB's memory limit; the rest is derived."""

    sources_dir: Path
    data_dir: Path
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    engine: str = DEFAULT_ENGINE

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
        """dbt's target folder for this data dir: the last build's artifacts, the parse
        state dbt reuses next time, and the profile that points dbt at this build database
        (one folder, overwritten by each run)."""
        return self.data_dir / "dbt"

    @property
    def runs_dir(self) -> Path:
        """Run reports (JSON), one per run, also for blocked runs."""
        return self.data_dir / "runs"

    @property
    def spark_dir(self) -> Path:
        """Spark's folder (LEITSTAND_ENGINE=spark): the raw layer and the privacy verdict as
        Parquet (`raw/`, `privacy/`), Spark's tables (`warehouse/`) and its metastore."""
        return self.data_dir / "spark"

    def duckdb_config(self) -> dict[str, str]:
        """The `config` for every read-write connection to the build database."""
        return {"memory_limit": self.memory_limit}


class SettingsError(ValueError):
    """A setting from the environment or the command line that cannot be used; the message
    says which and what to choose instead (the CLI prints it, no traceback)."""


def load_settings(
    sources_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    engine: str | None = None,
) -> Settings:
    """Settings from explicit arguments, else the environment, else the repo defaults."""
    env = os.environ if environ is None else environ
    chosen = (engine or env.get(ENGINE_ENV) or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        raise SettingsError(
            f"{ENGINE_ENV}/--engine: unknown engine {chosen!r}; choose one of "
            f"{', '.join(ENGINES)} (docs/architecture.md)")
    src = Path(sources_dir or env.get(SOURCES_ENV) or DEFAULT_SOURCES_DIR)
    data = Path(data_dir or env.get(DATA_ENV) or DEFAULT_DATA_DIR)
    limit = env.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT
    return Settings(sources_dir=src.resolve(), data_dir=data.resolve(), memory_limit=limit,
                    engine=chosen)
