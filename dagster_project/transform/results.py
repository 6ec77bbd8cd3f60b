"""dbt's own tests as gate results, so `dq.gate_results` and the run summary hold them too.

dagster-dbt shows dbt tests as asset checks in Dagster, but a failing test makes the dbt
step fail, and then no check of ours runs after it. This reads what dbt wrote for the run
(`run_results.json` and `manifest.json` in the data dir's dbt target folder, stamped with
the run's id, see `transform/build.py`) and turns each data test and unit test into a
`GateResult` on the table it tests.
"""

import json
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.core.settings import Settings
from dagster_project.gate.results import ERROR, WARN, GateResult
from dagster_project.gate.store import (
    read_gate_results,
    read_run_report,
    write_gate_results,
    write_run_report,
)
from dagster_project.gate.summary import summarise
from dagster_project.transform.plan import KEPT_FROM_RUN

FAILED = {"fail", "error"}
MAX_MESSAGE = 400


RUN_STAMP = "dagster_run_id"
# A dbt test's gate result is named `dbt:<test name>`.
DBT_CHECK_PREFIX = "dbt:"


def stamp_run(target_dir: Path, run_id: str) -> None:
    """Mark `target_dir` as this run's before dbt starts; results of earlier runs go."""
    target_dir.mkdir(parents=True, exist_ok=True)
    (target_dir / "run_results.json").unlink(missing_ok=True)
    (target_dir / RUN_STAMP).write_text(run_id, encoding="utf-8")


def stamped_run(target_dir: Path) -> str | None:
    """The run that last started dbt with `target_dir` (None: no run did)."""
    stamp = target_dir / RUN_STAMP
    return stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None


def find_run_target(run_id: str, target_dir: Path) -> Path | None:
    """`target_dir` when dbt wrote its results there in this run, else None."""
    if not (target_dir / "run_results.json").exists():
        return None
    return target_dir if stamped_run(target_dir) == run_id else None


def _tested_table(unique_id: str, manifest: dict[str, Any]) -> str:
    """`marts.kpi_monthly` for a test on that model (schema.name), else the test's package."""
    node = (
        manifest.get("nodes", {}).get(unique_id)
        or manifest.get("unit_tests", {}).get(unique_id)
        or {}
    )
    target = node.get("attached_node") or next(
        iter(node.get("depends_on", {}).get("nodes", [])), None
    )
    model = manifest.get("nodes", {}).get(target or "", {}) or manifest.get("sources", {}).get(
        target or "", {}
    )
    if model.get("schema") and model.get("name"):
        return f"{model['schema']}.{model['name']}"
    return "dbt"


def _message(kind: str, name: str, table: str, result: dict[str, Any], node: dict[str, Any]) -> str:
    status = result.get("status")
    shown = status
    if kept := result.get(KEPT_FROM_RUN):  # a test of tables this build kept (transform/plan.py)
        shown = f"{status} (kept from run {kept}: its tables were not rebuilt)"
    if status not in FAILED and status != "warn":
        return f"dbt {kind} {name} on {table}: {shown}"
    failures = result.get("failures")
    detail = (result.get("message") or "").strip().replace("\n", " ")[:MAX_MESSAGE]
    rows = f" ({failures} failing rows)" if isinstance(failures, int) and failures > 0 else ""
    where = node.get("original_file_path") or "the dbt project"
    return (
        f"dbt {kind} {name} on {table}: {shown}{rows}"
        + (f" — {detail}" if detail else "")
        + f". Fix: see the test in dbt/{where} and `dbt test --select {name}` on the build database"
    )


def dbt_test_results(run_results: dict[str, Any], manifest: dict[str, Any]) -> list[GateResult]:
    """One `GateResult` per data test and unit test in a dbt `run_results.json`."""
    out: list[GateResult] = []
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        if not unique_id.startswith(("test.", "unit_test.")):
            continue
        kind = "unit test" if unique_id.startswith("unit_test.") else "test"
        node = (
            manifest.get("nodes", {}).get(unique_id)
            or manifest.get("unit_tests", {}).get(unique_id)
            or {}
        )
        name = node.get("name") or unique_id.split(".")[-1]
        table = _tested_table(unique_id, manifest)
        status = result.get("status")
        severity = WARN if status == "warn" else ERROR
        passed = status in ("pass", "success")
        failures = result.get("failures")
        out.append(
            GateResult(
                check_name=f"{DBT_CHECK_PREFIX}{name}",
                source_or_table=table,
                severity=severity,
                passed=passed,
                observed=f"{status}" + (f", {failures} failing rows" if failures else ""),
                threshold="pass",
                message=_message(kind, name, table, result, node),
            )
        )
    return out


def dbt_results_for_run(run_id: str, target_dir: Path) -> list[GateResult]:
    """The dbt tests of a run as gate results; empty when dbt did not run."""
    folder = find_run_target(run_id, target_dir)
    if folder is None:
        return []
    run_results = json.loads((folder / "run_results.json").read_text(encoding="utf-8"))
    manifest_path = folder / "manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    )
    return dbt_test_results(run_results, manifest)


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
