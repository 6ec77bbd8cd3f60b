"""The one `Definitions` of Leitstand: what `dagster dev` and `leitstand run` load."""

import dagster as dg

from dagster_project.assets.dashboards import dashboards
from dagster_project.assets.dbt import dbt_models
from dagster_project.assets.ingest import ingest_assets
from dagster_project.assets.publish import publish_asset
from dagster_project.checks import gate_checks
from dagster_project.jobs import pipeline_job
from dagster_project.progress import PROGRESS_LOGGERS
from dagster_project.resources import build_resources
from dagster_project.schedules import daily_schedule
from dagster_project.sensors import sources_sensor

defs = dg.Definitions(
    assets=[*ingest_assets, dbt_models, publish_asset, dashboards],
    asset_checks=gate_checks,
    jobs=[pipeline_job],
    schedules=[daily_schedule],
    sensors=[sources_sensor],
    resources=build_resources(),
    loggers=PROGRESS_LOGGERS,
)
