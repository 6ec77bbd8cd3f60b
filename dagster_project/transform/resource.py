"""The dbt CLI resource this project runs dbt with: offline, dbt of this environment."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from packaging import version

from dagster_project.transform.dbt_import import DbtCliResource


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
        (the row counts are read after it, see `transform/build.py`).
        """
        return None


def dbt_executable() -> str:
    """dbt of this environment: `.venv/bin/leitstand` and `.venv/bin/pytest` run without the
    venv on PATH, so look next to the running Python before asking PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
