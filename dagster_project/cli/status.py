"""`leitstand status`: what is published, how fresh it is, and how the last run went.

An analyst who comes back to an unattended Leitstand asks these things; each answer comes
from where it is recorded, read-only:

- **last publication** — `meta.publication` of the published file (run id, time, files,
  rows, quarantined rows);
- **freshness** — the newest period date per source, as the gate's `freshness` check saw it
  for the published run (`dq.gate_results` of the published file);
- **last gate result** — the newest run report `<data>/runs/<run_id>.json` (written by the
  gate for every run, blocked runs too), summarised the way `leitstand run` prints it;
- **alerts** — where the alert e-mails go (SMTP or the outbox folder), what is still to
  deliver and what failed (`report/alerts.py`);
- **the last run and what blocked it** — the Dagster instance (`$DAGSTER_HOME`) knows every
  run of the pipeline job, also runs that failed before the gate (a dbt error) and runs that
  are queued or in progress. The instance is shared by every data dir, so only the runs of
  this data dir count (defs/run_records.py); a run Dagster still calls STARTED whose process
  is gone (killed) is shown as interrupted; the pipeline lock says whether a run is alive
  right now.

Nothing here opens the build database: it may be locked by a running pipeline.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.core.run_lock import lock_holder
from dagster_project.core.settings import Settings
from dagster_project.defs.progress import root_cause
from dagster_project.defs.run_records import process_gone, runs_of
from dagster_project.gate.results import GateResult
from dagster_project.gate.summary import summarise
from dagster_project.report.alerts import status_lines as alert_lines
from dagster_project.report.data import Publication

FRESHNESS_CHECK = "freshness"


@dataclass
class RunReport:
    run_id: str
    updated_at: str
    blocked: bool
    results: list[dict]
    path: Path


@dataclass
class DagsterRun:
    run_id: str
    status: str
    started: datetime | None
    failed_steps: list[str] = field(default_factory=list)
    interrupted: bool = False  # Dagster says in progress, but its process is gone


@dataclass
class Status:
    published_db: Path
    publication: Publication | None = None
    publication_count: int = 0
    freshness: list[tuple[str, bool, str]] = field(default_factory=list)  # source, ok, observed
    report: RunReport | None = None
    latest_run: DagsterRun | None = None
    queued_runs: int = 0
    lock_holder: str | None = None
    alerts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_publication(path: Path) -> tuple[Publication | None, int, list[tuple[str, bool, str]]]:
    """Last publication, number of publications and freshness rows from the published file."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select run_id, published_at, files_loaded, rows_loaded, rows_quarantined "
            "from meta.publication order by published_at desc"
        ).fetchall()
        if not rows:
            return None, 0, []
        pub = Publication(*rows[0])
        fresh = con.execute(
            "select source_or_table, passed, coalesce(observed, message) from dq.gate_results "
            "where run_id = ? and check_name = ? order by source_or_table",
            [pub.run_id, FRESHNESS_CHECK],
        ).fetchall()
    return pub, len(rows), [(s, bool(ok), str(obs)) for s, ok, obs in fresh]


def latest_run_report(runs_dir: Path) -> RunReport | None:
    """The newest run report (by its `updated_at`, then file time); unreadable files are skipped."""
    newest: tuple[str, float, RunReport] | None = None
    for path in runs_dir.glob("*.json") if runs_dir.is_dir() else []:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        report = RunReport(
            run_id=str(doc.get("run_id") or path.stem),
            updated_at=str(doc.get("updated_at") or ""),
            blocked=bool(doc.get("blocked")),
            results=list(doc.get("results") or []),
            path=path,
        )
        rank = (report.updated_at, path.stat().st_mtime, report)
        if newest is None or rank[:2] > newest[:2]:
            newest = rank
    return newest[2] if newest else None


def latest_dagster_run(job_name: str, data_dir: Path) -> tuple[DagsterRun | None, int]:
    """The newest run of the pipeline job on `data_dir` in the Dagster instance, and how
    many of its runs are queued."""
    home = os.environ.get("DAGSTER_HOME")
    if not home or not (Path(home) / "dagster.yaml").exists():
        return None, 0
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = runs_of(instance, job_name, data_dir)
        queued = len(runs_of(instance, job_name, data_dir, [dg.DagsterRunStatus.QUEUED]))
        if not records:
            return None, queued
        rec = records[0]
        started = datetime.fromtimestamp(rec.start_time) if rec.start_time else None
        run = DagsterRun(rec.dagster_run.run_id, rec.dagster_run.status.value, started,
                         interrupted=process_gone(rec.dagster_run))
        if rec.dagster_run.status == dg.DagsterRunStatus.FAILURE:
            for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
                err = entry.dagster_event.step_failure_data.error
                run.failed_steps.append(f"{entry.step_key}: {root_cause(err)}")
    return run, queued


def collect_status(
    settings: Settings, job_name: str = "leitstand", with_dagster: bool = True
) -> Status:
    status = Status(published_db=settings.published_db)
    if settings.published_db.exists():
        try:
            status.publication, status.publication_count, status.freshness = read_publication(
                settings.published_db
            )
        except duckdb.Error as e:
            status.problems.append(f"cannot read {settings.published_db}: {e}")
    status.report = latest_run_report(settings.runs_dir)
    try:
        status.alerts = alert_lines(settings)
    except Exception as e:  # a convenience here, never a reason to fail
        status.problems.append(f"cannot read the alerts state: {e}")
    status.lock_holder = lock_holder(settings.data_dir)
    if with_dagster:
        try:
            status.latest_run, status.queued_runs = latest_dagster_run(job_name,
                                                                       settings.data_dir)
        except Exception as e:  # the instance is a convenience here, never a reason to fail
            status.problems.append(f"cannot read the Dagster instance at $DAGSTER_HOME: {e}")
    return status


def _ago(when: datetime, now: datetime) -> str:
    secs = max(0, int((now - when).total_seconds()))
    if secs < 3600:
        return f"{secs // 60} min ago"
    if secs < 2 * 86400:
        return f"{secs // 3600} h ago"
    return f"{secs // 86400} days ago"


def _n(x: int) -> str:
    return f"{x:,}".replace(",", " ")


def render(status: Status, now: datetime | None = None) -> str:
    now = now or datetime.now()
    out: list[str] = []
    pub = status.publication
    out.append("Publication")
    if pub is None:
        out.append(f"  nothing published yet ({status.published_db}); run `leitstand run`")
    else:
        out.append(
            f"  run {pub.run_id}, published {pub.published_at:%Y-%m-%d %H:%M:%S} "
            f"({_ago(pub.published_at, now)}); publication {status.publication_count} in this file"
        )
        out.append(
            f"  {_n(pub.files_loaded)} files, {_n(pub.rows_loaded)} rows loaded, "
            f"{_n(pub.rows_quarantined)} rows quarantined — {status.published_db}"
        )
    if status.freshness:
        out.append("")
        out.append("Freshness (newest period date per source, as published)")
        width = max(len(s) for s, _, _ in status.freshness)
        for source, ok, observed in status.freshness:
            out.append(f"  {source:<{width}}  {observed}{'' if ok else '  ← older than allowed'}")

    out.append("")
    out.append("Last run")
    run = status.latest_run
    report = status.report
    published_ids = {pub.run_id} if pub else set()
    if run:
        when = f", started {run.started:%Y-%m-%d %H:%M:%S}" if run.started else ""
        verdict = "published" if run.run_id in published_ids else _run_verdict(run.status)
        state = run.status.lower()
        if run.interrupted:
            state = "interrupted"
            verdict = ("its process is gone (killed?): nothing of it was published; the last "
                       "publication stays, the next run cleans up after it")
        out.append(f"  run {run.run_id}: {state}{when} — {verdict}")
        out += [f"  failed step: {s}" for s in run.failed_steps]
    if report:
        if not run or report.run_id != run.run_id:
            state = "BLOCKED" if report.blocked else "passed the gate"
            out.append(f"  gate report of run {report.run_id} ({report.updated_at}): {state}")
        summary = summarise([GateResult.from_dict(r) for r in report.results])
        out += ["  " + line for line in summary.splitlines()]
        if report.blocked:
            out.append(f"  nothing of that run was published; details: {report.path}")
    elif not run:
        out.append("  no run recorded yet")

    if status.lock_holder or status.queued_runs:
        out.append("")
        out.append("Now")
        if status.lock_holder:
            out.append(f"  a pipeline run is in progress: {status.lock_holder}")
        if status.queued_runs:
            out.append(f"  {status.queued_runs} run(s) queued in Dagster")
    if status.alerts:
        out.append("")
        out.append("Alerts (config/alerts.csv; e-mail after each run)")
        out += status.alerts
    if status.problems:
        out.append("")
        out += [f"note: {p}" for p in status.problems]
    return "\n".join(out) + "\n"


def _run_verdict(dagster_status: str) -> str:
    return {
        "SUCCESS": "finished without publishing",
        "FAILURE": "BLOCKED or failed: nothing published; the last publication stays",
        "STARTED": "running",
        "STARTING": "starting",
        "QUEUED": "queued",
        "CANCELED": "canceled: nothing published",
        "CANCELING": "canceling",
    }.get(dagster_status, dagster_status.lower())
