"""dbt's tests of a run become gate results (also when the failing test stopped the run)."""

from __future__ import annotations

import json

from dagster_project.core.settings import load_settings
from dagster_project.gate.store import read_run_report
from dagster_project.transform.results import (
    dbt_results_for_run,
    find_run_target,
    record_dbt_results,
    stamp_run,
    summary_for_run,
)

RUN_ID = "abc1234f-0000-0000-0000-000000000000"
MANIFEST = {
    "nodes": {
        "model.leitstand.kpi_monthly": {"schema": "marts", "name": "kpi_monthly"},
        "test.leitstand.unique_kpi_monthly_cell.1": {
            "name": "unique_kpi_monthly_cell", "attached_node": "model.leitstand.kpi_monthly",
            "original_file_path": "models/marts/_marts__models.yml"},
    },
    "unit_tests": {
        "unit_test.leitstand.kpi_monthly.test_shares": {
            "name": "test_shares", "depends_on": {"nodes": ["model.leitstand.kpi_monthly"]}},
    },
}
RUN_RESULTS = {"results": [
    {"unique_id": "model.leitstand.kpi_monthly", "status": "success"},
    {"unique_id": "test.leitstand.unique_kpi_monthly_cell.1", "status": "fail", "failures": 3,
     "message": "Got 3 results, configured to fail if != 0"},
    {"unique_id": "unit_test.leitstand.kpi_monthly.test_shares", "status": "pass", "failures": 0},
]}


def _target(tmp_path, run_id=RUN_ID):
    """The data dir's dbt folder as a run leaves it: stamped first, then dbt's results."""
    folder = tmp_path / "data" / "dbt"
    stamp_run(folder, run_id)
    (folder / "run_results.json").write_text(json.dumps(RUN_RESULTS))
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    return folder


def test_failed_dbt_test_is_an_error_on_the_tested_table(tmp_path):
    results = {r.check_name: r for r in dbt_results_for_run(RUN_ID, _target(tmp_path))}
    assert set(results) == {"dbt:unique_kpi_monthly_cell", "dbt:test_shares"}
    failed = results["dbt:unique_kpi_monthly_cell"]
    assert failed.blocks and failed.source_or_table == "marts.kpi_monthly"
    assert "3 failing rows" in failed.message
    assert "models/marts/_marts__models.yml" in failed.message
    assert results["dbt:test_shares"].passed


def test_other_runs_targets_are_not_read(tmp_path):
    target = _target(tmp_path, "fffffff0-1111")
    assert find_run_target(RUN_ID, target) is None
    assert dbt_results_for_run(RUN_ID, target) == []


def test_a_run_where_dbt_did_not_finish_reads_no_earlier_results(tmp_path):
    target = _target(tmp_path, "fffffff0-1111")
    stamp_run(target, RUN_ID)  # this run's dbt step started, dbt wrote nothing
    assert find_run_target(RUN_ID, target) is None
    assert (target / "manifest.json").exists()  # dbt's parse state stays for the next run


def test_record_dbt_results_writes_report_and_build_db(tmp_path):
    import duckdb

    settings = load_settings(tmp_path / "sources", tmp_path / "data")
    assert _target(tmp_path) == settings.dbt_target_dir
    assert len(record_dbt_results(settings, RUN_ID)) == 2
    assert {r.check_name for r in read_run_report(settings.runs_dir, RUN_ID)} == {
        "dbt:unique_kpi_monthly_cell", "dbt:test_shares"}
    with duckdb.connect(str(settings.build_db)) as con:
        assert con.execute("select count(*) from dq.gate_results where run_id = ? and not passed",
                           [RUN_ID]).fetchall() == [(1,)]
    assert "BLOCKED" in summary_for_run(settings, RUN_ID)
