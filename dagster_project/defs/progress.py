"""Progress lines for people watching a run: stage, step, rows, files, failures.

Dagster's default console logger prints every engine event (hundreds of lines for one run);
an analyst watching `leitstand run` wants to see which stage is running, what each step
loaded and, at once, what failed. This logger turns the run's structured events into such
lines on stderr (the run report stays alone on stdout):

    [00:00] run 5f3c… started
    [00:00] ingest  raw/config …
    [00:01] ingest  raw/org_units: 11 rows, 1 file
    [00:04] ingest  raw/erp_orders: 48 210 rows, 24 files, 17 quarantined
    [00:09] dbt     dbt_models …
    [00:21] dbt     marts/kpi_monthly: 5 120 rows
    [00:30] gate    FAILED check raw/erp_orders:quarantine_share — 2.3 % > 1 %
    [00:31] run 5f3c… failed: 1 step failed, 1 check failed

It is the job's logger (see `jobs.py`), so runs launched from the UI, a schedule or the
sensor write the same lines into their logs. The event log in the Dagster UI is unaffected.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from typing import TextIO

import dagster as dg

DagsterEventType = dg.DagsterEventType

# metadata keys shown after a materialisation, in this order, with their unit
SHOWN_METADATA = (
    ("rows_loaded", "rows"),
    ("dagster/row_count", "rows"),
    ("files_loaded", "files"),
    ("rows_quarantined", "quarantined"),
    ("rejected_files", "rejected files"),
)
SKIPPED_STEP_MESSAGE = "Dependencies for step"
# Stages whose steps report their own progress with info messages (a dashboard build takes
# minutes; a line every few seconds says it is still at work).
TALKING_STAGES = {"dashboards"}
STAGE_BY_KEY_PREFIX = {
    "raw": "ingest",
    "staging": "dbt",
    "intermediate": "dbt",
    "marts": "dbt",
    "seeds": "dbt",
    "publish": "publish",
    "dashboards": "dashboards",
}


def stage_of_step(step_key: str | None) -> str:
    """The stage a step belongs to, from its op name (`raw__erp_orders`, `dbt_models`, …)."""
    if not step_key:
        return "run"
    name = step_key.split("[", 1)[0]
    if name.startswith("raw__") or name.startswith("config"):
        return "ingest"
    if name.startswith("dbt"):
        return "dbt"
    if "check" in name or "gate" in name:
        return "gate"
    return STAGE_BY_KEY_PREFIX.get(name.split("__", 1)[0], name)


def stage_of_asset(key: dg.AssetKey) -> str:
    return STAGE_BY_KEY_PREFIX.get(key.path[0], "run")


def root_cause(err) -> str:
    """The innermost error's last message line (Dagster wraps user errors in a step error)."""
    while err is not None and err.cause is not None:
        err = err.cause
    lines = (err.message or "").strip().splitlines() if err else []
    return lines[-1] if lines else "unknown error"


def _number(value: object) -> str | None:
    raw = getattr(value, "value", value)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return f"{raw:,.0f}".replace(",", " ")


def materialization_summary(metadata: dict) -> str:
    """'48 210 rows, 24 files, 17 quarantined' from an asset's metadata (what is there of it)."""
    parts, seen_units = [], set()
    for key, unit in SHOWN_METADATA:
        if key in metadata and unit not in seen_units:
            n = _number(metadata[key])
            if n is not None and not (unit in ("quarantined", "rejected files") and n == "0"):
                parts.append(f"{n} {unit if n != '1' else unit.rstrip('s')}")
                seen_units.add(unit)
    return ", ".join(parts)


@dataclass
class RunProgress:
    """What a run has shown so far; shared by every logger instance of the run (Dagster builds
    a fresh one for run-level events), hence kept per run id."""

    started: float
    failed_steps: int = 0
    failed_checks: int = 0
    passed_checks: int = 0
    warned_checks: int = 0
    skipped_steps: int = 0


_RUNS: dict[str, RunProgress] = {}


class ProgressFormatter:
    """Turns Dagster log records of one run into progress lines."""

    def __init__(self, run_id: str, clock=time.monotonic):
        self._clock = clock
        self.run_id = run_id
        self.state = _RUNS.setdefault(run_id, RunProgress(started=clock()))

    def _stamp(self) -> str:
        secs = int(self._clock() - self.state.started)
        return f"[{secs // 60:02d}:{secs % 60:02d}]"

    def line(self, record: logging.LogRecord) -> str | None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is None:
            # user messages: warnings and errors always, info only when not inside a step
            if record.levelno >= logging.WARNING or (
                (step is None or stage_of_step(step) in TALKING_STAGES)
                and record.levelno >= logging.INFO
            ):
                text = meta.get("orig_message") or record.getMessage()
                if text.startswith(SKIPPED_STEP_MESSAGE):
                    self.state.skipped_steps += 1  # summed up in the last line
                    return None
                return f"{self._stamp()} {stage_of_step(step):<7} {text}"
            return None
        return self._event_line(event, step)

    def _event_line(self, event: dg.DagsterEvent, step: str | None) -> str | None:
        et = event.event_type
        run = (event.job_name or "run") + " run"
        if et == DagsterEventType.RUN_START:
            return f"{self._stamp()} {run} started"
        if et == DagsterEventType.STEP_START:
            return f"{self._stamp()} {stage_of_step(step):<7} {step} …"
        if et == DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.step_materialization_data.materialization
            summary = materialization_summary(dict(mat.metadata))
            key = mat.asset_key
            return f"{self._stamp()} {stage_of_asset(key):<7} {key.to_user_string()}" + (
                f": {summary}" if summary else ""
            )
        if et == DagsterEventType.ASSET_CHECK_EVALUATION:
            ev = event.asset_check_evaluation_data
            if ev.passed:
                self.state.passed_checks += 1
                return None
            blocking = ev.severity == dg.AssetCheckSeverity.ERROR
            if blocking:
                self.state.failed_checks += 1
            else:
                self.state.warned_checks += 1
            severity = "FAILED" if blocking else "warning:"
            detail = ev.description or ""
            return (
                f"{self._stamp()} {'gate':<7} {severity} check "
                f"{ev.asset_key.to_user_string()}:{ev.check_name}"
                + (f" — {detail}" if detail else "")
            )
        if et == DagsterEventType.STEP_SUCCESS:
            secs = event.step_success_data.duration_ms / 1000
            return f"{self._stamp()} {stage_of_step(step):<7} {step} done in {secs:.1f} s"
        if et == DagsterEventType.STEP_FAILURE:
            self.state.failed_steps += 1
            msg = root_cause(event.step_failure_data.error)
            return f"{self._stamp()} {stage_of_step(step):<7} {step} FAILED: {msg}"
        if et == DagsterEventType.STEP_SKIPPED:
            why = "an upstream step or blocking check failed"
            return f"{self._stamp()} {stage_of_step(step):<7} {step} skipped ({why})"
        if et in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
            verdict = "finished" if et == DagsterEventType.RUN_SUCCESS else "failed"
            counts = f"{self.state.passed_checks} checks passed"
            if self.state.warned_checks:
                counts += f", {self.state.warned_checks} with warnings"
            if self.state.failed_checks:
                counts += f", {self.state.failed_checks} failed"
            if self.state.failed_steps:
                counts += f", {self.state.failed_steps} step(s) failed"
            if self.state.skipped_steps:
                counts += f", {self.state.skipped_steps} not run because of that"
            _RUNS.pop(self.run_id, None)
            return f"{self._stamp()} {run} {verdict} ({counts})"
        return None


class ProgressHandler(logging.Handler):
    def __init__(self, run_id: str, stream: TextIO | None = None):
        super().__init__(level=logging.DEBUG)
        self._stream = stream
        self._formatter = ProgressFormatter(run_id)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self._formatter.line(record)
            if line:
                stream = self._stream or sys.stderr
                stream.write(line + "\n")
                stream.flush()
        except Exception:  # a progress line must never break a run
            self.handleError(record)


@dg.logger(description="Short progress lines on stderr: stage, step, rows, files, failures.")
def progress_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.Logger(f"leitstand.progress.{init_context.run_id or 'run'}", level=logging.DEBUG)
    log.addHandler(ProgressHandler(init_context.run_id or ""))
    return log


PROGRESS_LOGGERS = {"progress": progress_logger}
PROGRESS_RUN_CONFIG = {"loggers": {"progress": {}}}
