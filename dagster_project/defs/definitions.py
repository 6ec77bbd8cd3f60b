"""The one `Definitions` of Leitstand: what `dagster dev` and `leitstand run` load."""

import dagster as dg

from dagster_project.defs.alerts import alerts_after_failure, alerts_after_success
from dagster_project.defs.assets.dashboards import dashboards
from dagster_project.defs.assets.dbt import dbt_models
from dagster_project.defs.assets.ingest import ingest_assets
from dagster_project.defs.assets.publish import publish_asset
from dagster_project.defs.checks import gate_checks
from dagster_project.defs.jobs import pipeline_job
from dagster_project.defs.progress import PROGRESS_LOGGERS
from dagster_project.defs.resources import build_resources
from dagster_project.defs.schedules import daily_schedule
from dagster_project.defs.sensors import sources_sensor

defs = dg.Definitions(
    assets=[*ingest_assets, dbt_models, publish_asset, dashboards],
    asset_checks=gate_checks,
    jobs=[pipeline_job],
    schedules=[daily_schedule],
    sensors=[sources_sensor, alerts_after_success, alerts_after_failure],
    resources=build_resources(),
    loggers=PROGRESS_LOGGERS,
)
