"""Dagster resources, built from the one settings module."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import dagster as dg
from packaging import version

from dagster_project.dbt_import import DbtCliResource
from dagster_project.project import dbt_project
from dagster_project.settings import Settings, load_settings


class LeitstandPaths(dg.ConfigurableResource):
    """The sources folder and the data dir of a run.

    Empty fields mean "from the environment at run time" (`LEITSTAND_SOURCES_DIR`,
    `LEITSTAND_DATA_DIR`, else the repo defaults), so `leitstand run --sources X` and
    `dagster dev` resolve the same way.
    """

    sources_dir: str = ""
    data_dir: str = ""

    def settings(self) -> Settings:
        settings = load_settings(self.sources_dir or None, self.data_dir or None)
        settings.export()
        return settings


class OfflineDbtCliResource(DbtCliResource):
    """dbt CLI resource that never asks the network for dbt's version (and loads no adapter).

    dagster-dbt learns the dbt version by running `dbt --version`, and that command asks the
    package index for the latest release on every call. The installed package knows its
    version: ask it instead.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No dbt adapter in this process.

        dagster-dbt loads dbt's profile, project and adapter here before every `dbt build`
        (~1 s) for the sole use of `fetch_row_counts` and `fetch_column_metadata`, which this
        project cannot use: dbt's process holds the DuckDB file's lock throughout the build
        (the row counts are read after it, see `assets/dbt.py`).
        """
        return None


def dbt_executable() -> str:
    """dbt of this environment: `.venv/bin/leitstand` and `.venv/bin/pytest` run without the
    venv on PATH, so look next to the running Python before asking PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def build_resources() -> dict[str, object]:
    return {
        "paths": LeitstandPaths(),
        "dbt": OfflineDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            dbt_executable=dbt_executable(),
        ),
    }
