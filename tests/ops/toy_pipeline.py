"""A two-asset stand-in for the pipeline, wired like the real one (same job, executor, logger).

The queue and lock tests launch it through a real Dagster instance configured from
`.dagster_home/dagster.yaml`; each run writes its start and end time, so a test can prove
that two runs never overlapped. The real pipeline would take minutes per run.
"""

import os
import time
from pathlib import Path

import dagster as dg

from dagster_project.defs.jobs import pipeline_job
from dagster_project.defs.progress import PROGRESS_LOGGERS

RUN_SECONDS = float(os.environ.get("TOY_RUN_SECONDS", "2"))


@dg.asset(key=["raw", "erp_orders"], group_name="ingest")
def erp_orders(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    log = Path(os.environ["LEITSTAND_DATA_DIR"]) / "toy_runs.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    time.sleep(RUN_SECONDS)
    with log.open("a") as f:
        f.write(f"{context.run.run_id} {start} {time.time()}\n")
    return dg.MaterializeResult(metadata={"rows_loaded": 12345, "files_loaded": 3})


@dg.asset_check(asset=["raw", "erp_orders"], blocking=True)
def quarantine_share() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=os.environ.get("TOY_CHECK_FAILS") != "1", description="2.3 % > 1 %"
    )


@dg.asset(key="publish", deps=[["raw", "erp_orders"]], group_name="publish")
def publish() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows_loaded": 5})


defs = dg.Definitions(
    assets=[erp_orders, publish],
    asset_checks=[quarantine_share],
    jobs=[pipeline_job],
    loggers=PROGRESS_LOGGERS,
)
