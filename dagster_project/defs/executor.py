"""The pipeline job's executor: in-process, while holding the pipeline lock of the run's data dir.

The data dir is the one the run's `paths` resource is configured with (its run config), so a
data dir typed into the launchpad is the one locked and written.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.core.run_lock import lock_path, pipeline_lock
from dagster_project.defs.resources import settings_of_run


class LockingInProcessExecutor(dg.Executor):
    """Dagster's in-process executor, run while holding the pipeline lock of the run's data dir.

    In-process also keeps every step in one process (one DuckDB writer, and no re-import of
    the code per step).
    """

    def __init__(self, inner: dg.Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan):
        data_dir = settings_of_run(plan_context.run_config).data_dir
        run_id = plan_context.run_id
        waits: list[str] = []
        with pipeline_lock(data_dir, owner=f"run {run_id}", on_wait=waits.append) as waited:
            if waits:
                plan_context.log.info(
                    f"queued behind {waits[0]} on {lock_path(data_dir)}; "
                    f"started after {waited:.0f} s"
                )
            yield from self._inner.execute(plan_context, execution_plan)


@dg.executor(name="in_process_locked", config_schema=dg.in_process_executor.config_schema)
def locking_in_process_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """`in_process` (same config) plus the pipeline lock: the executor of the pipeline job."""
    return LockingInProcessExecutor(dg.in_process_executor.executor_creation_fn(init_context))
