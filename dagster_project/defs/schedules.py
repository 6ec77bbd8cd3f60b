"""The daily schedule of the pipeline job.

When and where the clock ticks is the operator's choice, read from the environment of the
process that loads the definitions (`dagster dev`, `dagster-daemon run`):

- `LEITSTAND_SCHEDULE_CRON` — a five-field cron string, default `0 6 * * *` (06:00 daily:
  the exports of the night are in, the dashboards are fresh when people start work);
- `LEITSTAND_SCHEDULE_TZ` — an IANA time zone, default `Europe/Berlin` (the company's clock,
  daylight saving time included; Dagster's default would be UTC).

The schedule starts stopped, as every Dagster schedule does: switch it on once in the UI
(Automation → `leitstand_daily` → on) or with `dagster schedule start leitstand_daily`; the
switch is kept in the Dagster home and survives restarts. Only the daemon (part of
`dagster dev`, or `dagster-daemon run`) ticks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from dagster_project.defs.jobs import pipeline_job

SCHEDULE_NAME = "leitstand_daily"
CRON_ENV = "LEITSTAND_SCHEDULE_CRON"
TZ_ENV = "LEITSTAND_SCHEDULE_TZ"
DEFAULT_CRON = "0 6 * * *"
DEFAULT_TZ = "Europe/Berlin"


class ScheduleSettingError(ValueError):
    """A schedule variable holds a value Dagster cannot tick on."""


def schedule_timing(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(cron, time zone) from the environment, with the defaults above; the zone is checked."""
    env = os.environ if environ is None else environ
    cron = env.get(CRON_ENV, "").strip() or DEFAULT_CRON
    tz = env.get(TZ_ENV, "").strip() or DEFAULT_TZ
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ScheduleSettingError(
            f"{TZ_ENV}={tz!r} is not a time zone: use an IANA name such as {DEFAULT_TZ!r} or 'UTC'"
        ) from e
    return cron, tz


def build_daily_schedule(environ: Mapping[str, str] | None = None) -> dg.ScheduleDefinition:
    """The pipeline job on the configured clock (Dagster itself checks the cron string)."""
    cron, tz = schedule_timing(environ)
    try:
        return dg.ScheduleDefinition(
            name=SCHEDULE_NAME,
            job=pipeline_job,
            cron_schedule=cron,
            execution_timezone=tz,
            default_status=dg.DefaultScheduleStatus.STOPPED,
            tags={"leitstand/trigger": "schedule"},
            description=f"The whole pipeline at '{cron}' ({tz}); "
            f"set {CRON_ENV} / {TZ_ENV} to change.",
        )
    except dg.DagsterInvalidDefinitionError as e:
        raise ScheduleSettingError(
            f"{CRON_ENV}={cron!r} is not a cron string Dagster accepts: use five fields "
            f"'minute hour day month weekday', e.g. {DEFAULT_CRON!r} for 06:00 every day"
        ) from e


daily_schedule = build_daily_schedule()
