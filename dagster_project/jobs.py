"""The pipeline job: every asset, in graph order, with every check.

It runs in one process while holding the pipeline lock of its data dir (one DuckDB writer;
see `run_lock.py`) and reports progress with the short progress logger (`progress.py`).
"""

import dagster as dg

from dagster_project.progress import PROGRESS_RUN_CONFIG
from dagster_project.run_lock import locking_in_process_executor

PIPELINE_JOB = "leitstand"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest → gate → dbt build → gate → publish → dashboards.",
    executor_def=locking_in_process_executor,
    config=PROGRESS_RUN_CONFIG,
)
