"""A one-asset job with the pipeline's executor and `paths` resource: it writes down who
holds the pipeline lock of the data dir its resource names (test_launchpad_data_dir.py)."""

import dagster as dg

from dagster_project.core.run_lock import lock_holder
from dagster_project.defs.executor import locking_in_process_executor
from dagster_project.defs.resources import LeitstandPaths


@dg.asset
def where_the_run_writes(paths: LeitstandPaths) -> None:
    data_dir = paths.settings().data_dir
    (data_dir / "lock_seen_by_step.txt").write_text(lock_holder(data_dir) or "free")


defs = dg.Definitions(
    assets=[where_the_run_writes],
    jobs=[dg.define_asset_job("probe", executor_def=locking_in_process_executor)],
    resources={"paths": LeitstandPaths()},
)


def probe_job() -> dg.JobDefinition:
    return defs.resolve_job_def("probe")
