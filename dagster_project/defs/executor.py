"""The pipeline job's executor: in-process, while holding the pipeline lock of the run's data dir.

The data dir is the one the run's `paths` resource is configured with (its run config), so a
data dir typed into the launchpad is the one locked and written.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.core.leftovers import remove_leftovers
from dagster_project.core.private import owner_only_files, secure_data_dir
from dagster_project.core.run_lock import lock_path, pipeline_lock
from dagster_project.defs.resources import settings_of_run
from dagster_project.defs.run_records import mark_interrupted_runs_failed, process_tags


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
        settings = settings_of_run(plan_context.run_config)
        data_dir = settings.data_dir
        run_id = plan_context.run_id
        instance = plan_context.instance
        # before waiting: a run waiting for the lock is alive (defs/run_records.py)
        instance.add_run_tags(run_id, process_tags(settings))
        waits: list[str] = []
        with owner_only_files(), pipeline_lock(data_dir, owner=f"run {run_id}",
                                               on_wait=waits.append) as waited:
            if waits:
                plan_context.log.info(
                    f"queued behind {waits[0]} on {lock_path(data_dir)}; "
                    f"started after {waited:.0f} s"
                )
            secure_data_dir(settings)
            removed = remove_leftovers(settings)
            job_name = plan_context.dagster_run.job_name
            marked = mark_interrupted_runs_failed(instance, settings, job_name,
                                                  current_run_id=run_id)
            if removed or marked:
                plan_context.log.info(
                    f"cleaned up after interrupted runs: {len(removed)} leftover file(s) "
                    f"removed, {len(marked)} run(s) marked failed {marked or ''}")
            yield from self._inner.execute(plan_context, execution_plan)


@dg.executor(name="in_process_locked", config_schema=dg.in_process_executor.config_schema)
def locking_in_process_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """`in_process` (same config) plus the pipeline lock: the executor of the pipeline job."""
    return LockingInProcessExecutor(dg.in_process_executor.executor_creation_fn(init_context))
