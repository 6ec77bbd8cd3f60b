"""The dbt models as Dagster assets (`transform/build.py` runs them); dbt tests become checks."""

import dagster as dg

from dagster_project.defs.resources import LeitstandPaths
from dagster_project.transform.build import build_models, translator
from dagster_project.transform.dbt_import import dbt_assets
from dagster_project.transform.project import dbt_project
from dagster_project.transform.resource import OfflineDbtCliResource


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource, paths: LeitstandPaths
):
    """`dbt build` (models, seeds and data tests) against the run's build database."""
    yield from build_models(context, dbt, paths.settings())
