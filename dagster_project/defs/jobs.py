"""The pipeline job: every asset, in graph order, with every check.

It runs in one process while holding the pipeline lock of its data dir (one DuckDB writer;
see `core/run_lock.py`) and reports progress with the short progress logger (`progress.py`).
"""

import dagster as dg

from dagster_project.defs.executor import locking_in_process_executor
from dagster_project.defs.progress import PROGRESS_RUN_CONFIG

PIPELINE_JOB = "leitstand"

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=dg.AssetSelection.all(),
    description="Ingest → gate → dbt build → gate → publish → dashboards.",
    executor_def=locking_in_process_executor,
    config=PROGRESS_RUN_CONFIG,
)
