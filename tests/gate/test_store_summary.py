"""Where results go (dq.gate_results, the run report) and the summary `leitstand run` prints."""

from __future__ import annotations

import json

from dagster_project.core.settings import load_settings
from dagster_project.gate.results import ERROR, WARN, GateResult
from dagster_project.gate.store import (
    read_gate_results,
    read_run_report,
    write_gate_results,
    write_run_report,
)
from dagster_project.gate.summary import summarise
from dagster_project.transform.results import summary_for_run

REJECTED = GateResult("rejected_files", "erp_orders", ERROR, False, "1 files", "0 files",
                      "erp_orders: 1 file rejected — orders.csv: required column net_amount "
                      "missing")
STALE = GateResult("freshness", "survey_responses", WARN, False, "newest 2026-03-01", "≤ 45 days",
                   "survey_responses: newest submitted_at 2026-03-01 (266 days old)")
FINE = GateResult("quarantine_share", "erp_orders", ERROR, True, "0 of 10 rows", "≤ 1 %", "ok")


def test_results_replace_only_the_same_run_and_check(con):
    write_gate_results(con, "run-1", [REJECTED, FINE])
    write_gate_results(con, "run-2", [REJECTED])
    fixed = GateResult("rejected_files", "erp_orders", ERROR, True, "0 files", "0 files", "read")
    write_gate_results(con, "run-1", [fixed])
    run1 = {r.check_name: r for r in read_gate_results(con, "run-1")}
    assert run1["rejected_files"].passed and run1["quarantine_share"] == FINE
    assert read_gate_results(con, "run-2") == [REJECTED]
    columns = [r[0] for r in con.execute("describe dq.gate_results").fetchall()]
    assert columns == ["run_id", "check_name", "source_or_table", "severity", "passed",
                       "observed", "threshold", "message"]


def test_run_report_merges_checks_as_they_run(tmp_path):
    runs = tmp_path / "runs"
    write_run_report(runs, "run-1", [FINE])
    path = write_run_report(runs, "run-1", [REJECTED, STALE])
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["run_id"] == "run-1" and doc["blocked"] is True
    assert len(doc["results"]) == 3
    assert set(read_run_report(runs, "run-1")) == {FINE, REJECTED, STALE}
    assert not list(runs.glob(".*.tmp"))


def test_summary_of_a_blocked_run_lists_errors_first_then_warnings():
    text = summarise([FINE, STALE, REJECTED])
    lines = text.splitlines()
    assert lines[0] == "gate: BLOCKED by 1 failed check (1 warning, 1 passed)"
    assert lines[1].startswith("  ✗ [erp_orders · rejected_files]") and "net_amount" in lines[1]
    assert lines[2].startswith("  ! [survey_responses · freshness]")
    assert len(lines) == 3  # passed checks are not listed


def test_summary_of_a_passed_run_says_so_and_keeps_warnings():
    text = summarise([FINE, STALE])
    assert text.splitlines()[0] == "gate: passed (1 warning, 1 passed)"
    assert "BLOCKED" not in text


def test_summary_for_run_reads_the_report_file(tmp_path):
    settings = load_settings(tmp_path / "sources", tmp_path / "data")
    assert summary_for_run(settings, "run-9") == ""
    write_run_report(settings.runs_dir, "run-9", [REJECTED])
    assert "BLOCKED" in summary_for_run(settings, "run-9")
