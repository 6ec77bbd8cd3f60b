"""The pipeline job: every asset, in graph order, with every check."""

import dagster as dg

PIPELINE_JOB = "leitstand"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest → gate → dbt build → gate → publish → dashboards.",
)
