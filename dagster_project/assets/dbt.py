"""The dbt models as Dagster assets; dbt tests become asset checks.

Keys and groups come from where a model lives: a model in `models/marts/` built into the
`marts` schema is the asset `marts/<model>` in group `marts`; sources are `raw/<table>`, the
keys the ingest assets already carry, so the graph joins without special cases.
"""


from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from dagster_project.project import dbt_project
from dagster_project.resources import LeitstandPaths, OfflineDbtCliResource

DBT_GROUPS = ("staging", "intermediate", "marts")


class LeitstandTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folder = dbt_resource_props.get("fqn", [None, None])[1]
        if folder in DBT_GROUPS:
            return folder
        return "seeds" if dbt_resource_props["resource_type"] == "seed" else "marts"


translator = LeitstandTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator)
def dbt_models(context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource, paths: LeitstandPaths):
    """`dbt build` (models, seeds and tests) against the run's build database."""
    paths.settings()  # exports LEITSTAND_BUILD_DB for dbt's profile
    yield from dbt.cli(["build"], context=context).stream()
