"""Rules validated only on the rows SQL says may fail (preselect.py) give GX's verdict on
the whole table: the same counts, messages and examples, on values chosen to sit on every
edge of the translation (bounds, NULL, NaN, float bounds against decimals, quotes)."""

from __future__ import annotations

import datetime as dt
import json

from dagster_project.core.db import table_column_types
from dagster_project.gate import gx_runner
from dagster_project.gate.gx_runner import run_suite
from dagster_project.gate.preselect import may_fail
from dagster_project.gate.suites import load_suite

from .conftest import TODAY
from .tables import create_raw

COLUMNS = {
    "d": "date",
    "ts": "timestamp",
    "amt": "decimal(18,2)",
    "f": "double",
    "n": "integer",
    "s": "varchar",
    "d2": "date",
}
DAY = dt.timedelta(days=1)
NAN, INF = float("nan"), float("inf")
ROWS = [
    # d, ts, amt, f, n, s, d2
    (dt.date(1999, 12, 31), dt.datetime(2020, 1, 1), 0.10, 1.5, 0, "a", dt.date(2000, 1, 1)),
    (dt.date(2000, 1, 1), dt.datetime(2019, 12, 31, 23, 59, 59), 0.09, NAN, 10, "A", None),
    (TODAY, dt.datetime.combine(TODAY, dt.time(23, 59, 59)), 0.11, None, 11, "", TODAY),
    (TODAY + DAY, dt.datetime.combine(TODAY + DAY, dt.time()), -0.01, -INF, -1, None, TODAY),
    (None, None, None, INF, None, "o'x", dt.date(2030, 1, 1)),
    (dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 12), 5, 5.0, 5, "a ", dt.date(2025, 1, 1)),
    (dt.date(2026, 1, 2), dt.datetime(2026, 1, 2), 2.5, 2.5, 3, "b", dt.date(2026, 1, 2)),
    (dt.date(2026, 1, 3), dt.datetime(2026, 1, 3), 1, 2.0, 4, "b", None),
    # 0.3 as a double is below the decimal 0.30 (pandas compares exactly, DuckDB as doubles)
    (dt.date(2026, 1, 5), dt.datetime(2026, 1, 5), 0.30, 0.3, 4, "b", dt.date(2026, 1, 1)),
    (dt.date(2026, 1, 4), dt.datetime(2026, 1, 4), 1, 2.0, 4, "b", dt.date(2026, 1, 1)),
]


def rule(kind: str, name: str, **kwargs) -> dict:
    return {"type": f"expect_{kind}", "kwargs": kwargs, "meta": {"name": name}}


TRANSLATED = [
    rule("column_values_to_not_be_null", "d_not_null", column="d"),
    rule("column_values_to_not_be_null", "f_not_null", column="f"),
    rule("column_values_to_not_be_null", "s_not_null", column="s"),
    rule(
        "column_values_to_be_between",
        "d_range",
        column="d",
        min_value="2000-01-01",
        max_value={"$PARAMETER": "today"},
    ),
    rule(
        "column_values_to_be_between",
        "ts_range",
        column="ts",
        min_value="2020-01-01",
        max_value={"$PARAMETER": "now"},
    ),
    rule("column_values_to_be_between", "amt_float_min", column="amt", min_value=0.1),
    rule("column_values_to_be_between", "amt_max", column="amt", max_value=2.5),
    rule("column_values_to_be_between", "f_range", column="f", min_value=0, max_value=2.5),
    rule(
        "column_values_to_be_between",
        "n_strict",
        column="n",
        min_value=0,
        max_value=10,
        strict_min=True,
        strict_max=True,
    ),
    rule("column_values_to_be_in_set", "s_set", column="s", value_set=["a", "b", "o'x"]),
    rule(
        "column_pair_values_a_to_be_greater_than_b",
        "d_after_d2",
        column_A="d",
        column_B="d2",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    ),
    rule(
        "column_pair_values_a_to_be_greater_than_b",
        "d_strictly_after_d2",
        column_A="d",
        column_B="d2",
        or_equal=False,
        ignore_row_if="neither",
    ),
    rule(
        "column_pair_values_a_to_be_greater_than_b",
        "f_over_amt",
        column_A="f",
        column_B="amt",
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    ),
]
NOT_TRANSLATED = [
    rule("column_values_to_match_regex", "s_regex", column="s", regex="^[a-z]$"),
    rule(
        "column_values_to_not_be_null",
        "s_if_d",
        column="s",
        row_condition={
            "column": {"name": "n"},
            "operator": ">",
            "parameter": 3,
            "type": "comparison",
        },
    ),
    rule("column_values_to_be_between", "n_mostly", column="n", min_value=0, mostly=0.5),
    rule("column_values_to_be_in_set", "n_set", column="n", value_set=[1, 2]),
    rule("column_values_to_be_between", "s_range", column="s", min_value=0),
    rule("column_values_to_be_between", "n_huge", column="n", max_value=10**20),
    rule("column_values_to_be_between", "d_word", column="d", max_value="today"),
]


def _suite(tmp_path, rules):
    path = tmp_path / "raw.edges.json"
    path.write_text(json.dumps({"name": "raw.edges", "expectations": rules}))
    return path


def test_translated_rules_read_the_same_on_the_preselected_rows(con, tmp_path, monkeypatch):
    create_raw(con, "edges", COLUMNS, ROWS)
    path = _suite(tmp_path, TRANSLATED + NOT_TRANSLATED)
    whole = run_suite(con, path, today=TODAY, remember=False)  # one frame, every row
    assert sum(not r.passed for r in whole) >= 12  # the edges do fail

    validated = []
    real_validate = gx_runner._validate

    def spy(frame, expectations, parameters):
        validated.append((len(frame), {e.check_name for e in expectations}))
        return real_validate(frame, expectations, parameters)

    monkeypatch.setattr(gx_runner, "_validate", spy)
    monkeypatch.setattr(gx_runner, "CHUNK_ROWS", 3)  # the table is "large": preselection
    preselected = run_suite(con, path, today=TODAY, remember=False)
    assert preselected == whole
    translated = {r["meta"]["name"] for r in TRANSLATED}
    frames = [n for n, names in validated if names == translated]
    # every row but the last fails a rule or sits on a widened bound (a float bound, a gap
    # that `ignore_row_if="neither"` judges); the last passes them all and stays out
    assert sum(frames) == len(ROWS) - 1
    assert all(names.isdisjoint(translated) for n, names in validated if names != translated)


def test_conditions_leave_out_the_rows_that_pass(con, tmp_path):
    create_raw(con, "edges", COLUMNS, ROWS)
    suite = load_suite(_suite(tmp_path, TRANSLATED + NOT_TRANSLATED))
    types = table_column_types(con, "raw.edges")
    parameters = {"today": TODAY, "now": dt.datetime.combine(TODAY, dt.time(23, 59, 59))}
    conditions = {e.check_name: may_fail(e, types, parameters) for e in suite.expectations}
    assert {n for n, c in conditions.items() if c} == {r["meta"]["name"] for r in TRANSLATED}

    def rows(name):
        sql = f"select _row_number from raw.edges where {conditions[name]} order by 1"
        return [r[0] for r in con.execute(sql).fetchall()]

    assert rows("d_not_null") == [6]
    assert rows("f_not_null") == [3, 4]  # NaN is missing to pandas
    assert rows("amt_float_min") == [2, 3, 5]  # 0.10 against the float 0.1: fetched
    assert rows("n_strict") == [2, 3, 4, 5]  # 0 and 10 fail a strict range
    assert rows("s_set") == [3, 4, 7]  # 'A', '' and 'a ' (NULL is missing, not unexpected)
    assert rows("d_after_d2") == [2]  # rows with a gap stay out
    assert rows("d_strictly_after_d2") == [2, 3, 4, 6, 8, 9]  # equal dates, and the gaps


def test_an_empty_value_set_fetches_every_value(con, tmp_path):
    create_raw(con, "edges", COLUMNS, ROWS)
    empty = rule("column_values_to_be_in_set", "none", column="s", value_set=[])
    [e] = load_suite(_suite(tmp_path, [empty])).expectations
    condition = may_fail(e, {"s": "VARCHAR"}, {})
    assert con.execute(f"select count(*) from raw.edges where {condition}").fetchone()[0] == 9


def test_a_condition_duckdb_refuses_leaves_the_rule_to_every_row(con, tmp_path, monkeypatch):
    create_raw(con, "edges", COLUMNS, ROWS)
    path = _suite(tmp_path, TRANSLATED)
    whole = run_suite(con, path, today=TODAY, remember=False)
    monkeypatch.setattr(gx_runner, "may_fail", lambda e, types, parameters: "no_such > 1")
    monkeypatch.setattr(gx_runner, "CHUNK_ROWS", 3)
    assert run_suite(con, path, today=TODAY, remember=False) == whole
