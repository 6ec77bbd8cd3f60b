"""Alerts after runs that Dagster launches (the schedule, the sources sensor, the UI).

Two run-status sensors watch the pipeline job: one for runs that succeeded, one for runs
that failed (a blocked run publishes nothing). Each hands the run's data dir (from its run
config) and its failed steps to `report/alerts.py`, which finds the events, e-mails them and
remembers what it sent — so a run that `leitstand run` already alerted for (it calls the same
function in-process) sends nothing twice. They start switched on: only the daemon (part of
`dagster dev`, or `dagster-daemon run`) ticks them, and without `config/alerts.csv` they
send nothing.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.jobs import pipeline_job
from dagster_project.defs.progress import root_cause
from dagster_project.defs.resources import settings_of_run
from dagster_project.report.alerts import evaluate_run

SUCCESS_SENSOR = "alerts_after_success"
FAILURE_SENSOR = "alerts_after_failure"


def alert_for_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """Evaluate the alerts of one finished run; the one-line summary, also for the log."""
    failures = []
    if run.status == dg.DagsterRunStatus.FAILURE:
        for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
            err = entry.dagster_event.step_failure_data.error
            failures.append(f"{entry.step_key}: {root_cause(err)}")
    return evaluate_run(settings_of_run(run.run_config), run.run_id, failures).summary()


@dg.run_status_sensor(
    name=SUCCESS_SENSOR,
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[pipeline_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mails the alerts of a finished pipeline run (config/alerts.csv): statuses "
    "turned red or amber, stale sources.",
)
def alerts_after_success(context: dg.RunStatusSensorContext):
    context.log.info(alert_for_run(context.instance, context.dagster_run))


@dg.run_failure_sensor(
    name=FAILURE_SENSOR,
    monitored_jobs=[pipeline_job],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="E-mails the alerts of a blocked or failed pipeline run (config/alerts.csv): "
    "what blocked it and how to fix it.",
)
def alerts_after_failure(context: dg.RunFailureSensorContext):
    context.log.info(alert_for_run(context.instance, context.dagster_run))
