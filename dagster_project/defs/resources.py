"""Dagster resources: the run's `Settings` (`paths`) and the dbt CLI (`dbt`)."""

from __future__ import annotations

import dagster as dg

from dagster_project.core.settings import Settings, load_settings
from dagster_project.transform.project import dbt_project
from dagster_project.transform.resource import OfflineDbtCliResource, dbt_executable


class LeitstandPaths(dg.ConfigurableResource):
    """The sources folder and the data dir of a run, as the run's config gives them.

    Empty fields mean "from the environment at run time" (`LEITSTAND_SOURCES_DIR`,
    `LEITSTAND_DATA_DIR`, else the repo defaults). `leitstand run --data-dir X` passes its
    folders as this resource's config, and so does a data dir typed into the launchpad: the
    run's lock (`defs/executor.py`) and every step read the same fields.
    """

    sources_dir: str = ""
    data_dir: str = ""
    engine: str = ""  # empty: LEITSTAND_ENGINE at run time, else duckdb

    def settings(self) -> Settings:
        return load_settings(self.sources_dir or None, self.data_dir or None,
                             engine=self.engine or None)


def paths_run_config(settings: Settings) -> dict:
    """Run config that hands `settings`' folders to the `paths` resource of a run."""
    return {"resources": {"paths": {"config": {
        "sources_dir": str(settings.sources_dir), "data_dir": str(settings.data_dir),
        "engine": settings.engine}}}}


def settings_of_run(run_config: dict) -> Settings:
    """The settings a run's `paths` resource gets from its run config (see `LeitstandPaths`)."""
    config = ((run_config or {}).get("resources", {}).get("paths", {}) or {}).get("config") or {}
    return LeitstandPaths(**config).settings()


def build_resources() -> dict[str, object]:
    return {
        "paths": LeitstandPaths(),
        "dbt": OfflineDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.profiles_dir),
            dbt_executable=dbt_executable(),
        ),
    }
