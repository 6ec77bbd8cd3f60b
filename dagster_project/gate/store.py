"""Where gate results go: `dq.gate_results` in the build database and a run report file.

Both are written for blocked runs too: the build database is what the analyst inspects,
the JSON report in `<data>/runs/<run_id>.json` is what `leitstand run` prints from and
stays after the next run replaces the build. Each check writes as it runs, so both replace
only the rows of the checks they are given.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.gate.results import GateResult, blocked

GATE_RESULTS_DDL = """
create schema if not exists dq;
create table if not exists dq.gate_results (
    run_id varchar,
    check_name varchar,
    source_or_table varchar,
    severity varchar,
    passed boolean,
    observed varchar,
    threshold varchar,
    message varchar
);
"""


def _key(r: GateResult) -> tuple[str, str]:
    return (r.check_name, r.source_or_table)


def write_gate_results(
    con: duckdb.DuckDBPyConnection, run_id: str, results: list[GateResult]
) -> None:
    """Insert `results` for `run_id`, replacing earlier rows of the same run and checks."""
    con.execute(GATE_RESULTS_DDL)
    if not results:
        return
    con.execute("begin transaction")
    try:
        con.executemany(
            "delete from dq.gate_results "
            "where run_id = ? and check_name = ? and source_or_table = ?",
            [[run_id, *k] for k in {_key(r) for r in results}],
        )
        con.executemany(
            "insert into dq.gate_results values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    r.check_name,
                    r.source_or_table,
                    r.severity,
                    r.passed,
                    r.observed,
                    r.threshold,
                    r.message,
                ]
                for r in results
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def read_gate_results(con: duckdb.DuckDBPyConnection, run_id: str) -> list[GateResult]:
    con.execute(GATE_RESULTS_DDL)
    cur = con.execute(
        "select check_name, source_or_table, severity, passed, observed, threshold, message "
        "from dq.gate_results where run_id = ?",
        [run_id],
    )
    names = [d[0] for d in cur.description]
    return [GateResult.from_dict(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def report_path(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / f"{run_id}.json"


def read_run_report(runs_dir: Path, run_id: str) -> list[GateResult]:
    path = report_path(runs_dir, run_id)
    if not path.exists():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [GateResult.from_dict(r) for r in doc.get("results", [])]


def write_run_report(runs_dir: Path, run_id: str, results: list[GateResult]) -> Path:
    """Merge `results` into the run's report file (atomically: temp file, then rename)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    merged = {_key(r): r for r in read_run_report(runs_dir, run_id)}
    merged.update({_key(r): r for r in results})
    all_results = list(merged.values())
    doc: dict[str, Any] = {
        "run_id": run_id,
        "updated_at": datetime.now().isoformat(timespec="seconds"),
        "blocked": blocked(all_results),
        "results": [r.to_dict() for r in all_results],
    }
    path = report_path(runs_dir, run_id)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path
