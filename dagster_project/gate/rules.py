"""The gate rules of docs/sources.md that are SQL, not Great Expectations.

- quarantine share per source over `max_quarantine_share` (default 1 %) blocks, and so does
  a single file with more than `max_file_quarantine_share` (default 50 %) of its rows
  quarantined;
- a rejected file (unreadable, unknown type, required column missing, empty) blocks;
- a source whose newest period date is older than `freshness_days` warns (never blocks).

They read what the ingest recorded in the build database: `meta.ingest_results` (counts of
this run per source), `meta.rejected_files` and `dq.quarantine`.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from dagster_project.core.db import one_row, quote, table_columns, table_exists
from dagster_project.gate.describe import percent, show
from dagster_project.gate.gate_settings import (
    MAX_FILE_QUARANTINE_SHARE,
    MAX_QUARANTINE_SHARE,
    GateSettings,
    SettingError,
    gate_settings,
    read_settings,
)
from dagster_project.gate.personal import quarantine_select
from dagster_project.gate.results import ERROR, WARN, GateResult

QUARANTINE_CHECK = "quarantine_share"
REJECTED_CHECK = "rejected_files"
FRESHNESS_CHECK = "freshness"
SETTINGS_CHECK = "gate_settings"
MAX_BREAKDOWN = 3

# The date that says how recent a source's data is (docs/kpis.md "period dates"); sources without
# one (headcount, licences: snapshots) have no freshness rule.
PERIOD_DATES = {
    "erp_orders": "order_date",
    "crm_interactions": "occurred_at",
    "crm_leads": "created_date",
    "it_usage": "activity_date",
    "lms_trainings": "completed_date",
    "survey_responses": "submitted_at",
    "projects": "status_date",
    "project_milestones": "actual_date",
}


def load_gate_settings(con: duckdb.DuckDBPyConnection) -> tuple[GateSettings, list[GateResult]]:
    """The thresholds, plus a blocking result when config/settings.csv holds a bad value."""
    values = read_settings(con)
    try:
        return gate_settings(values), []
    except SettingError as e:
        bad = GateResult(
            SETTINGS_CHECK, "config", ERROR, False, None, None, f"{e}. Fix that line and run again"
        )
        safe = {
            k: v
            for k, v in values.items()
            if k not in (MAX_QUARANTINE_SHARE, MAX_FILE_QUARANTINE_SHARE)
            and not k.startswith("freshness_days")
        }
        return gate_settings(safe), [bad]


def _rows_read(con: duckdb.DuckDBPyConnection, source: str) -> int | None:
    """Data rows in the source's current files, as the ingest counted them (if recorded)."""
    if not table_exists(con, "meta.ingest_results"):
        return None
    row = one_row(con, "select sum(rows_total) from meta.ingest_results where source = ?", [source])
    return None if row is None or row[0] is None else int(row[0])


def _rows_quarantined(con: duckdb.DuckDBPyConnection, source: str) -> int:
    """Distinct quarantined rows (a row with two bad columns counts once)."""
    if not table_exists(con, "dq.quarantine"):
        return 0
    sql = (
        "select count(*) from (select distinct file_name, row_number from dq.quarantine "
        "where source = ?)"
    )
    return int(one_row(con, sql, [source])[0])


def _quarantine_breakdown(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """'orders_2026-10.csv column order_date: unparsable date (50 rows, e.g. '31.13.2026')'."""
    if not table_exists(con, "dq.quarantine"):
        return ""
    # as published: no person's answer or id in a message (gate/personal.py)
    rows = con.execute(
        "select file_name, column_name, reason, count(distinct row_number) as n, "
        f"min(raw_value) as example from ({quarantine_select()}) where source = ? "
        "group by all order by n desc, file_name, column_name limit ?",
        [source, MAX_BREAKDOWN],
    ).fetchall()
    parts = []
    for file_name, column, reason, n, example in rows:
        column_text = f" column {column}" if column else ""
        example_text = f", e.g. {show(example)}" if example not in (None, "") else ""
        parts.append(f"{file_name}{column_text}: {reason} ({n} rows{example_text})")
    return "; ".join(parts)


def _files_over(
    con: duckdb.DuckDBPyConnection, source: str, max_share: float
) -> list[tuple[str, int, int]]:
    """(file, quarantined rows, rows) of the source's current files with more than
    `max_share` of their rows quarantined (rows skipped, such as usage rows without an
    activity date, are not counted)."""
    if not (table_exists(con, "meta.loaded_files") and table_exists(con, "dq.quarantine")):
        return []
    rows = con.execute(
        "select f.file_name, count(distinct q.row_number) as bad, "
        "max(f.rows - coalesce(f.rows_skipped, 0)) as n "
        "from meta.loaded_files f join dq.quarantine q "
        "on q.source = f.source and q.file_name = f.file_name "
        "where f.source = ? group by f.file_name order by f.file_name",
        [source],
    ).fetchall()
    return [(name, bad, max(n, bad)) for name, bad, n in rows if bad > max_share * max(n, bad)]


def quarantine_share(
    con: duckdb.DuckDBPyConnection,
    source: str,
    max_share: float | None = None,
    max_file_share: float | None = None,
) -> GateResult:
    """Block when the quarantined share of a source's rows in this run exceeds the limit,
    or that of one of its files exceeds the file limit."""
    if max_share is None or max_file_share is None:
        gate = load_gate_settings(con)[0]
        max_share = gate.max_quarantine_share if max_share is None else max_share
        max_file_share = gate.max_file_quarantine_share if max_file_share is None \
            else max_file_share
    quarantined = _rows_quarantined(con, source)
    total = _rows_read(con, source)
    if total is None:  # no ingest counts: what was loaded plus what was not
        loaded = 0
        if table_exists(con, f"raw.{source}"):
            loaded = int(one_row(con, f"select count(*) from raw.{quote(source)}")[0])
        total = loaded + quarantined
    total = max(total, quarantined)
    share = quarantined / total if total else 0.0
    observed = f"{quarantined} of {total} rows ({percent(quarantined, total)})"
    limit = f"{MAX_QUARANTINE_SHARE} {percent(max_share, 1)}"
    threshold = f"≤ {percent(max_share, 1)}"
    files = _files_over(con, source, max_file_share)
    if share <= max_share and files:
        file_limit = f"{MAX_FILE_QUARANTINE_SHARE} {percent(max_file_share, 1)}"
        listed = "; ".join(f"{name}: {bad} of {n} rows ({percent(bad, n)})"
                           for name, bad, n in files)
        breakdown = _quarantine_breakdown(con, source)
        message = (
            f"{source}: {listed} quarantined, over {file_limit} for one file — a new export "
            "that is mostly wrong does not publish"
            + (f". Most: {breakdown}" if breakdown else "")
            + ". Fix: map the export in config/column_map.csv or config/value_map.csv, or "
            "correct it (every row is listed in dq.quarantine with file, row and column)"
        )
        return GateResult(QUARANTINE_CHECK, source, ERROR, False, observed, threshold, message)
    if share <= max_share:
        return GateResult(
            QUARANTINE_CHECK,
            source,
            ERROR,
            True,
            observed,
            threshold,
            f"{source}: {observed} quarantined, within {limit}",
        )
    breakdown = _quarantine_breakdown(con, source)
    message = (
        f"{source}: {observed} quarantined, over {limit}"
        + (f". Most: {breakdown}" if breakdown else "")
        + ". Fix: correct those rows in the export files (every row is listed in dq.quarantine "
        f"with file, row and column), or raise {MAX_QUARANTINE_SHARE} in config/settings.csv"
    )
    return GateResult(QUARANTINE_CHECK, source, ERROR, False, observed, threshold, message)


def rejected_files(con: duckdb.DuckDBPyConnection, source: str) -> GateResult:
    """Block when the ingest rejected any file of this source; the ingest's reason is kept."""
    rows: list[tuple[str, str]] = []
    if table_exists(con, "meta.rejected_files"):
        rows = con.execute(
            "select file_name, message from meta.rejected_files "
            "where source = ? order by file_name",
            [source],
        ).fetchall()
    return rejected_files_result(source, rows)


def rejected_files_result(source: str, rejected: list[tuple[str, str]]) -> GateResult:
    """The rejected-file rule for a list of (file name, reason) given by the ingest."""
    if not rejected:
        return GateResult(
            REJECTED_CHECK,
            source,
            ERROR,
            True,
            "0 files",
            "0 files",
            f"{source}: every file was read",
        )
    reasons = []
    for file_name, reason in rejected:
        reason = (reason or "").strip() or "no reason given"
        reasons.append(reason if file_name in reason else f"{file_name}: {reason}")
    count = len(rejected)
    message = (
        f"{source}: {count} file{'s' if count > 1 else ''} rejected — "
        + " | ".join(reasons)
        + ". Fix: correct or remove the file in the sources folder and run again"
    )
    return GateResult(REJECTED_CHECK, source, ERROR, False, f"{count} files", "0 files", message)


def freshness(
    con: duckdb.DuckDBPyConnection,
    source: str,
    today: dt.date | None = None,
    max_age_days: int | None = None,
) -> GateResult | None:
    """Warn when the newest period date of a source is older than `freshness_days`.

    None for sources without a period date (snapshots such as headcount).
    """
    column = PERIOD_DATES.get(source)
    if column is None:
        return None
    today = today or dt.date.today()
    if max_age_days is None:
        max_age_days = load_gate_settings(con)[0].freshness_for(source)
    threshold = f"≤ {max_age_days} days old"
    table = f"raw.{source}"
    if column not in table_columns(con, table):
        return GateResult(
            FRESHNESS_CHECK,
            source,
            WARN,
            False,
            "no table",
            threshold,
            f"{source}: {table}.{column} is missing, so its freshness is unknown",
        )
    newest = one_row(con, f"select max({quote(column)}) from {table}")[0]
    if newest is None:
        return GateResult(
            FRESHNESS_CHECK,
            source,
            WARN,
            False,
            "no rows",
            threshold,
            f"{source}: no rows loaded; add exports to sources/{source}/",
        )
    newest_date = newest.date() if isinstance(newest, dt.datetime) else newest
    age = (today - newest_date).days
    observed = f"newest {column} {newest_date.isoformat()} ({age} days old)"
    if age <= max_age_days:
        return GateResult(
            FRESHNESS_CHECK, source, WARN, True, observed, threshold, f"{source}: {observed}"
        )
    return GateResult(
        FRESHNESS_CHECK,
        source,
        WARN,
        False,
        observed,
        threshold,
        f"{source}: {observed}, older than freshness_days {max_age_days}. Fix: add a newer export "
        f"to sources/{source}/ (or set freshness_days.{source} in config/settings.csv)",
    )
