"""A pipeline-like run that is still going when it is killed: `python -m tests.ops.killed_run
DATA_DIR`. It records itself in the Dagster instance at $DAGSTER_HOME as `leitstand run`
does (job `leitstand`, tagged with its process and data dir), writes `started` beside the
data dir once its step runs, and then waits to be killed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dagster as dg

from dagster_project.core.settings import Settings
from dagster_project.defs.run_records import process_tags


def main(data_dir: Path) -> None:
    @dg.asset(name="ingest")
    def ingest() -> None:
        (data_dir.parent / "started").write_text("x")
        time.sleep(600)

    job = dg.Definitions(assets=[ingest], jobs=[dg.define_asset_job("leitstand")]
                         ).resolve_job_def("leitstand")
    settings = Settings(sources_dir=data_dir / "sources", data_dir=data_dir)
    with dg.DagsterInstance.get() as instance:
        job.execute_in_process(instance=instance, tags=process_tags(settings))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
