"""The privacy audit (`dagster_project/transform/privacy_audit.py`) on cells written here:
it must name every suppressed cell that published cells give away, and nothing else."""

from __future__ import annotations

import datetime as dt

from dagster_project.transform import privacy_audit as AUDIT

PARENT_OF = {"TOP": None, "A": "TOP", "B": "TOP"}
MONTH = dt.date(2025, 3, 1)


def cells(rows, total="tool_adoption_rate"):
    """(key, unit, population, suppressed) -> the model's input rows (weight 1)."""
    return [(total, MONTH, key, unit, n, 1, hidden) for key, unit, n, hidden in rows]


def leaked(rows, total="tool_adoption_rate", k=5):
    return {(r[2], r[3], r[4]) for r in AUDIT.audit(cells(rows, total), PARENT_OF, k)}


def test_one_hidden_tool_beside_its_published_total_is_found():
    rows = [(None, "A", 10, False), ("erp", "A", 3, True), ("teams", "A", 7, False)]
    assert leaked(rows) == {("erp", "A", "cell")}


def test_two_hidden_tools_beside_their_total_are_not_computable():
    rows = [(None, "A", 12, False), ("erp", "A", 3, True), ("dms", "A", 4, True),
            ("teams", "A", 5, False)]
    assert leaked(rows) == set()


def test_a_hidden_child_is_found_through_the_tree():
    # TOP has nobody of its own: TOP - B = A
    rows = [(None, "TOP", 12, False), (None, "A", 3, True), (None, "B", 9, False)]
    assert leaked(rows) == {(None, "A", "cell")}
    # with people of its own at TOP, A is hidden in TOP's rest
    rows[0] = (None, "TOP", 15, False)
    assert leaked(rows) == set()


def test_a_small_own_rest_is_found_and_a_units_only_tool_is_no_leak():
    # TOP = A + B + 2 people of its own, all published: the 2 are computable
    rows = [(None, "TOP", 16, False), (None, "A", 7, False), (None, "B", 7, False),
            ("erp", "B", 7, True)]  # B's only tool: the same as B's total
    assert leaked(rows) == {(None, "TOP", "own")}


def test_a_dimension_hidden_beside_its_published_index_is_found():
    rows = [(None, "A", 9, False), ("strategy", "A", 9, True), ("processes", "A", 9, False),
            ("innovation", "A", 9, False)]
    found = leaked(rows, total="digital_maturity_index")
    assert found == {("strategy", "A", "cell")}
