"""The short block `leitstand run` prints: blocked or passed, then one line per failed check.

An analyst should see at a glance why a run was blocked and what to fix; every message
already says what, where and how, so the summary orders them (blocking first) and stops
listing what passed.
"""

from __future__ import annotations

import duckdb

from dagster_project.checks.dbt_results import DBT_CHECK_PREFIX, dbt_results_for_run
from dagster_project.checks.results import ERROR, GateResult
from dagster_project.checks.store import (
    read_gate_results,
    read_run_report,
    write_gate_results,
    write_run_report,
)
from dagster_project.settings import Settings


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarise(results: list[GateResult]) -> str:
    """`gate: BLOCKED by 2 checks …` followed by one indented line per failed check."""
    if not results:
        return "gate: no checks ran"
    errors = [r for r in results if r.blocks]
    warnings = [r for r in results if not r.passed and r.severity != ERROR]
    passed = sum(r.passed for r in results)
    counts = f"{_plural(len(warnings), 'warning')}, {passed} passed"
    head = (
        f"gate: BLOCKED by {_plural(len(errors), 'failed check')} ({counts})"
        if errors
        else f"gate: passed ({counts})"
    )
    lines = [head]
    for r in sorted(errors, key=lambda r: (r.source_or_table, r.check_name)):
        lines.append(f"  ✗ [{r.source_or_table} · {r.check_name}] {r.message}")
    for r in sorted(warnings, key=lambda r: (r.source_or_table, r.check_name)):
        lines.append(f"  ! [{r.source_or_table} · {r.check_name}] {r.message}")
    return "\n".join(lines)


def record_dbt_results(settings: Settings, run_id: str) -> list[GateResult]:
    """Add the run's dbt tests to `dq.gate_results` and the run report (after the run).

    A failing dbt test fails the dbt step, so nothing of the gate runs after it inside the
    run; this is called once the run is over and the build database is free again.
    """
    results = dbt_results_for_run(run_id, settings.dbt_target_dir)
    if not results:
        return []
    try:
        with duckdb.connect(str(settings.build_db)) as con:
            write_gate_results(con, run_id, results)
    except duckdb.Error:
        pass  # the report file below still has them
    write_run_report(settings.runs_dir, run_id, results)
    return results


def summary_for_run(settings: Settings, run_id: str) -> str:
    """The summary of a finished run (gate checks and dbt tests), from its report file.

    The dbt step records dbt's test results; when it did not get that far (stopped by the
    watchdog, say), they are recorded here first (see `record_dbt_results`).
    """
    results = read_run_report(settings.runs_dir, run_id)
    if not any(r.check_name.startswith(DBT_CHECK_PREFIX) for r in results):
        record_dbt_results(settings, run_id)
        results = read_run_report(settings.runs_dir, run_id)
    if not results and settings.build_db.exists():
        try:
            with duckdb.connect(str(settings.build_db)) as con:
                results = read_gate_results(con, run_id)
        except duckdb.Error:
            results = []
    return summarise(results) if results else ""
