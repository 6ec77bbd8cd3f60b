"""The one `Definitions` of Leitstand: what `dagster dev` and `leitstand run` load."""

import dagster as dg

from dagster_project.assets.dbt import dbt_models
from dagster_project.assets.ingest import ingest_assets
from dagster_project.assets.publish import publish_asset
from dagster_project.jobs import pipeline_job
from dagster_project.resources import build_resources

defs = dg.Definitions(
    assets=[*ingest_assets, dbt_models, publish_asset],
    jobs=[pipeline_job],
    resources=build_resources(),
)
