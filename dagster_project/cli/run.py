"""Run the pipeline job in this process and say, in a few lines, what happened.

`leitstand run` and the tests call `run_pipeline`; `dagster dev` runs the same job from the
UI. In-process execution keeps one process as the only writer of the build database.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

import dagster as dg

from dagster_project.core.leftovers import remove_leftovers
from dagster_project.core.private import owner_only_files, secure_data_dir
from dagster_project.core.settings import Settings
from dagster_project.defs.jobs import PIPELINE_JOB
from dagster_project.defs.progress import root_cause
from dagster_project.defs.resources import paths_run_config
from dagster_project.defs.run_records import mark_interrupted_runs_failed, process_tags
from dagster_project.report.alerts import evaluate_run
from dagster_project.transform import warm as dbt_warm
from dagster_project.transform.results import summary_for_run

DASHBOARDS_KEY = dg.AssetKey("dashboards")
PUBLISH_KEY = dg.AssetKey("publish")


@dataclass
class Outcome:
    """What a run did: published or blocked, and why."""

    run_id: str
    published: bool
    dashboards_failed: bool = False
    materialized: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    gate_summary: str = ""
    alerts: str = ""  # what the alerts after the run did (report/alerts.py)

    @property
    def ok(self) -> bool:
        return self.published and not self.dashboards_failed

    def report(self) -> str:
        head = (
            "PUBLISHED"
            if self.published
            else "BLOCKED — nothing was published; the last publication stays"
        )
        if self.dashboards_failed:
            head += " — but the dashboard build failed; the previous site stays"
        lines = [f"leitstand run {self.run_id}: {head}"]
        if self.gate_summary:
            lines.append(self.gate_summary.rstrip())
        if not self.gate_summary:
            # the gate's summary lists every blocking check (its own and dbt's) with its
            # message; Dagster's bare check names are the fallback when there is none
            lines += [f"  failed check: {c}" for c in self.failed_checks]
        lines += [f"  failed step: {f}" for f in self.failures]
        if self.alerts:
            lines.append(self.alerts)
        return "\n".join(lines)


def _instance() -> dg.DagsterInstance:
    try:
        return dg.DagsterInstance.get()
    except Exception:  # no DAGSTER_HOME: a throwaway instance (tests)
        return dg.DagsterInstance.ephemeral()


def clean_up_after_killed_runs(instance: dg.DagsterInstance, settings: Settings) -> None:
    """Remove the leftovers of killed runs and mark their Dagster runs failed; say so."""
    removed = remove_leftovers(settings)
    marked = mark_interrupted_runs_failed(instance, settings, PIPELINE_JOB)
    if removed or marked:
        print(f"leitstand run: cleaned up after interrupted runs: {len(removed)} leftover "
              f"file(s) removed, {len(marked)} run(s) marked failed"
              + (f" ({', '.join(marked)})" if marked else ""), file=sys.stderr, flush=True)


def _execute(settings: Settings, dashboards: bool,
             instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    # dbt starts and parses on the other core while this process imports and ingests
    if settings.engine == "duckdb":  # Spark's dbt parses with a profile of its own
        dbt_warm.start(settings)
    try:
        # imported now, while dbt starts: Dagster's definitions take ~1 s to import
        from dagster_project.defs.definitions import defs

        job = defs.resolve_job_def(PIPELINE_JOB)
        selection = None
        if not dashboards:
            selection = [k for k in defs.resolve_all_asset_keys() if k != DASHBOARDS_KEY]
        return job.execute_in_process(
            instance=instance, raise_on_error=False, asset_selection=selection,
            run_config=paths_run_config(settings), tags=process_tags(settings),
        )
    finally:  # a run that ended before its dbt step leaves no dbt process behind
        dbt_warm.stop(settings.dbt_target_dir)


def run_pipeline(
    settings: Settings, dashboards: bool = True, instance: dg.DagsterInstance | None = None
) -> Outcome:
    """Execute the whole job (optionally without the dashboard build) and collect the outcome.

    The caller holds the pipeline lock (`leitstand run` does, see cli/main.py). What killed
    runs left behind is cleaned up first (core/leftovers.py, defs/run_records.py).
    """
    with owner_only_files():  # the build database and all beside it: owner-only
        secure_data_dir(settings)
        instance = instance or _instance()
        clean_up_after_killed_runs(instance, settings)
        result = _execute(settings, dashboards, instance)
    from dagster_project.defs.definitions import defs  # imported by _execute already

    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    outcome = Outcome(run_id=result.run_id, published=PUBLISH_KEY in materialized)
    outcome.materialized = sorted(k.to_user_string() for k in materialized)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            # the innermost error says what went wrong, not Dagster's "error in op" wrapper
            msg = root_cause(event.step_failure_data.error)
            outcome.failures.append(f"{event.step_key}: {msg}")
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.asset_check_evaluation_data
            if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR:
                outcome.failed_checks.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
    if dashboards and outcome.published and DASHBOARDS_KEY in defs.resolve_all_asset_keys():
        outcome.dashboards_failed = DASHBOARDS_KEY not in materialized
    outcome.gate_summary = summary_for_run(settings, outcome.run_id)
    outcome.alerts = send_alerts(settings, outcome)
    return outcome


def send_alerts(settings: Settings, outcome: Outcome) -> str:
    """The alerts after this run (e-mail or outbox); whatever goes wrong there is said in one
    line and never changes the run's result."""
    try:
        return evaluate_run(settings, outcome.run_id, outcome.failures).summary()
    except Exception as e:  # the publication stands; the next run tries again
        logging.getLogger("leitstand.alerts").exception("alerts after run %s", outcome.run_id)
        return f"alerts: not evaluated ({type(e).__name__}: {e}); tried again after the next run"
