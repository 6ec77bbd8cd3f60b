"""An org tree with a cycle is refused by the gate on the config tables, naming the cycle
(gate/org_tree.py), before anything downstream runs."""

from __future__ import annotations

import csv
import hashlib
import io

import duckdb
import pytest

from dagster_project.gate.org_tree import find_cycles, org_tree_result


def test_cycles_are_found_once_each_and_named_in_parent_order():
    parent_of = {"R": None, "A": "R", "B": "C", "C": "D", "D": "B", "E": "B", "S": "S"}
    assert find_cycles(parent_of) == [["B", "C", "D", "B"], ["S", "S"]]
    assert find_cycles({"R": None, "A": "R", "B": "A", "X": "unknown"}) == []


def test_the_rule_blocks_with_the_units_and_their_rows():
    with duckdb.connect() as con:
        con.execute("create schema raw")
        con.execute("create table raw.org_units as select * from (values "
                    "('R', 'Firma', null, 2), ('U1', 'Eins', 'U2 ', 3), ('U2', 'Zwei', 'U1', 4),"
                    " ('U3', 'Drei', 'R', 5)) t(org_unit_id, name, parent_id, _row_number)")
        result = org_tree_result(con)
        assert not result.passed and result.blocks
        assert "U1 → U2 → U1" in result.message
        assert "U1 (row 3), U2 (row 4)" in result.message
        assert "config/org_units.csv" in result.message and "Fix:" in result.message
        con.execute("update raw.org_units set parent_id = 'R' where org_unit_id = 'U1'")
        assert org_tree_result(con).passed


@pytest.mark.slow
def test_a_cycle_blocks_the_run_with_its_units_named(copied_run):
    from tests.gate.test_blocked_runs import _run

    path = copied_run.sources_dir / "config" / "org_units.csv"
    text = path.read_text(encoding="utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if r]
    parents = {r[2] for r in rows[1:] if r[2]}
    # two units that have children: each becomes the other's parent
    first, second = sorted(u for u in parents if any(r[0] == u and r[2] for r in rows[1:]))[:2]
    for r in rows[1:]:
        if r[0] == first:
            r[2] = second
        elif r[0] == second:
            r[2] = first
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    digest = hashlib.sha256(copied_run.published_db.read_bytes()).hexdigest()

    outcome = _run(copied_run.sources_dir, copied_run.data_dir)
    report = outcome.report()
    assert not outcome.published
    cycle = " → ".join([min(first, second), max(first, second), min(first, second)])
    assert cycle in report, report
    assert "dbt" not in report  # no generic dbt failure, nothing shown as skipped
    assert hashlib.sha256(copied_run.published_db.read_bytes()).hexdigest() == digest
