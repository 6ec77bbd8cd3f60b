"""The gate on a re-run: what did not change is not validated again, and the results are
those of validating the whole table (gate/memo.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dagster_project.core.settings import EXPECTATIONS_DIR
from dagster_project.gate import gx_runner
from dagster_project.gate.gx_runner import run_suite
from dagster_project.ingest.contracts import contract
from dagster_project.ingest.store import ensure_schemas, remember_state

from .conftest import TODAY
from .tables import (
    KPI_DEFINITIONS,
    LINEAGE,
    create,
    create_raw,
    erp_orders,
    good_order,
    org_units,
)

ERP_SUITE = EXPECTATIONS_DIR / "raw.erp_orders.json"
DEFINITIONS_SUITE = EXPECTATIONS_DIR / "marts.kpi_definitions.json"
DAILY = "auftraege_2026-11-02_tag.csv"


@pytest.fixture
def validated(monkeypatch):
    """Row counts of the frames GX validates, in order (the real `_validate` does the work)."""
    sizes: list[int] = []
    real_validate = gx_runner._validate

    def spy(frame, expectations, parameters):
        sizes.append(len(frame))
        return real_validate(frame, expectations, parameters)

    monkeypatch.setattr(gx_runner, "_validate", spy)
    return sizes


def record_state(con, fingerprint, merged_from=None, merged_files=None):
    """What the ingest records after building (or merging into) raw.erp_orders."""
    ensure_schemas(con)
    remember_state(con, contract("erp_orders"), fingerprint, merged_from, merged_files)


def merge_daily_export(con, rows):
    """What the ingest leaves after merging a daily export of `rows` into the table: the
    rows appended as `merge_files` appends them, and the state that names the file."""
    marks = ", ".join("?" for _ in range(len(rows[0]) + len(LINEAGE)))
    con.executemany(
        f"insert into raw.erp_orders values ({marks})",
        [[*r, "erp_orders", DAILY, "h2", i + 2, "load-2", dt.datetime(2026, 11, 2)]
         for i, r in enumerate(rows)],
    )
    record_state(con, "state-2", merged_from="state-1", merged_files=[DAILY])


def daily_with_two_bad_orders():
    """A good order, a negative amount (row 3) and a date in the future (row 4)."""
    return [good_order("B-1"), good_order("B-2", net_amount=-5.0),
            good_order("B-3", order_date=dt.date(2027, 1, 3), confirmed_date=None)]


def ten_orders(con, **changes_of_row_3):
    org_units(con)
    rows = [good_order(f"A-{i}") for i in range(10)]
    rows[3] = good_order("A-3", **changes_of_row_3)
    erp_orders(con, rows)
    record_state(con, "state-1")


def test_an_unchanged_table_is_not_validated_again(con, validated, caplog):
    ten_orders(con)
    first = run_suite(con, ERP_SUITE, today=TODAY)
    assert validated  # the first time everything is validated
    validated.clear()
    caplog.set_level("INFO", logger="leitstand.gate")
    again = run_suite(con, ERP_SUITE, today=TODAY)
    assert again == first
    assert validated == []
    # the key rules, which validate the rows whose key is empty or repeated, too
    assert ("raw.erp_orders: 16 rule(s) kept from the last validation, 0 checked on the rows "
            "of 0 merged file(s) only, 0 checked on the table") in caplog.text


def test_a_merged_export_is_checked_alone_with_the_verdict_of_the_whole_table(con, validated):
    ten_orders(con)
    run_suite(con, ERP_SUITE, today=TODAY)
    merge_daily_export(con, daily_with_two_bad_orders())
    validated.clear()
    merged = run_suite(con, ERP_SUITE, today=TODAY)
    # row rules and key rules on the 3 new rows (no other row shares their keys); the row
    # count sees the whole table
    assert sorted(validated) == [3, 3, 13]
    assert merged == run_suite(con, ERP_SUITE, today=TODAY, remember=False)
    failed = {r.check_name: r for r in merged if not r.passed}
    assert set(failed) == {"net_amount_not_negative", "column_values_to_be_between(order_date)"}
    negative = failed["net_amount_not_negative"]
    assert negative.observed.startswith("1 of 13 rows")
    assert f"{DAILY} row 3" in negative.message


def test_a_merged_export_into_a_large_table_is_checked_on_the_rows_that_may_fail(
    con, validated, monkeypatch
):
    """Above one chunk, the merged rows too are validated only where a rule may fail them
    (preselect.py): here the two bad rows of the three, with the whole table's verdict."""
    ten_orders(con)
    run_suite(con, ERP_SUITE, today=TODAY)
    merge_daily_export(con, daily_with_two_bad_orders())
    whole = run_suite(con, ERP_SUITE, today=TODAY, remember=False)  # every row in one frame
    monkeypatch.setattr(gx_runner, "CHUNK_ROWS", 4)
    validated.clear()
    merged = run_suite(con, ERP_SUITE, today=TODAY)
    # row rules on B-2 and B-3; the key rules on the 3 new rows; the row count (a frame
    # without columns)
    assert sorted(validated) == [2, 3, 13]
    assert merged == whole


def test_merged_keys_are_checked_against_the_rows_sharing_them(con, validated):
    """Key rules no row failed validate only the rows sharing a key with the merged rows
    (not every key of the table): an order exported again and one without a number fail
    as in a validation of the whole table."""
    ten_orders(con)
    run_suite(con, ERP_SUITE, today=TODAY)
    merge_daily_export(con, [good_order("B-1"), good_order("A-5"), good_order(None)])
    validated.clear()
    merged = run_suite(con, ERP_SUITE, today=TODAY)
    # key rules on B-1, A-5 (old and new) and the empty key; row rules on the 3 new rows
    assert sorted(validated) == [3, 4, 13]
    assert merged == run_suite(con, ERP_SUITE, today=TODAY, remember=False)
    failed = {r.check_name: r for r in merged if not r.passed}
    assert set(failed) == {"column_values_to_be_unique(order_id)",
                           "column_values_to_not_be_null(order_id)"}
    repeated = failed["column_values_to_be_unique(order_id)"]
    assert repeated.observed.startswith("2 of 13 rows")
    assert "'A-5'" in repeated.message and f"{DAILY} row 3" in repeated.message
    assert failed["column_values_to_not_be_null(order_id)"].observed.startswith("1 of 13 rows")


def test_a_rule_that_failed_before_sees_the_whole_table_again(con, validated):
    ten_orders(con, net_amount=-7.0)
    run_suite(con, ERP_SUITE, today=TODAY)
    merge_daily_export(con, [good_order("B-1")])
    validated.clear()
    merged = run_suite(con, ERP_SUITE, today=TODAY)
    assert 11 in validated  # the failed rule: all rows again
    assert merged == run_suite(con, ERP_SUITE, today=TODAY, remember=False)
    negative = next(r for r in merged if r.check_name == "net_amount_not_negative")
    assert not negative.passed and negative.observed.startswith("1 of 11 rows")
    assert "orders_2026-10-31.csv row 5" in negative.message


def test_on_a_later_day_passed_rules_stand_and_the_results_name_the_new_day(con, validated):
    ten_orders(con)
    run_suite(con, ERP_SUITE, today=TODAY)
    validated.clear()
    next_day = TODAY + dt.timedelta(days=1)
    later = run_suite(con, ERP_SUITE, today=next_day)
    assert validated == []  # "not after today" held yesterday, so it holds today
    assert later == run_suite(con, ERP_SUITE, today=next_day, remember=False)
    dates = next(r for r in later if r.check_name == "column_values_to_be_between(order_date)")
    assert "2026-11-23" in dates.threshold


def test_a_rule_with_today_as_earliest_value_is_validated_again_the_next_day(
    con, validated, tmp_path
):
    ten_orders(con)
    suite = json.loads(ERP_SUITE.read_text(encoding="utf-8"))
    suite["expectations"] = [{
        "type": "expect_column_values_to_be_between",
        "kwargs": {"column": "order_date", "min_value": {"$PARAMETER": "today"}},
        "meta": {"name": "not_before_today"}, "severity": "warning"}]
    path = tmp_path / "raw.erp_orders.json"
    path.write_text(json.dumps(suite), encoding="utf-8")
    run_suite(con, path, today=dt.date(2026, 10, 1))
    validated.clear()
    later = run_suite(con, path, today=TODAY)
    assert validated == [10]
    assert not later[0].passed and later[0].observed.startswith("10 of 10 rows")


def test_new_master_data_or_an_edited_rule_validates_again(con, validated, tmp_path):
    ten_orders(con)
    run_suite(con, ERP_SUITE, today=TODAY)
    # a new org unit changes the parameter of the org unit rule (the table is unchanged)
    create_raw(con, "org_units", {"org_unit_id": "varchar", "name": "varchar",
                                  "parent_id": "varchar"},
               [("HAT", "Hagedorn", None), ("VT", "Vertrieb", "HAT")], "org_units.csv")
    validated.clear()
    results = run_suite(con, ERP_SUITE, today=TODAY)
    assert validated == [10]
    org_rule = next(r for r in results if r.check_name == "column_values_to_be_in_set(org_unit_id)")
    assert not org_rule.passed and org_rule.observed.startswith("10 of 10 rows")
    # an edited rule: its old verdict is not kept
    suite = json.loads(ERP_SUITE.read_text(encoding="utf-8"))
    for e in suite["expectations"]:
        if (e.get("meta") or {}).get("name") == "net_amount_not_negative":
            e["kwargs"]["min_value"] = 2000
    path = tmp_path / "raw.erp_orders.json"
    path.write_text(json.dumps(suite), encoding="utf-8")
    validated.clear()
    edited = run_suite(con, path, today=TODAY)
    assert 10 in validated
    negative = next(r for r in edited if r.check_name == "net_amount_not_negative")
    assert not negative.passed and negative.observed.startswith("10 of 10 rows")


def test_tables_without_a_recorded_state_are_always_validated(con, validated):
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-2")])
    run_suite(con, ERP_SUITE, today=TODAY)
    validated.clear()
    run_suite(con, ERP_SUITE, today=TODAY)
    assert validated  # no ingest state: nothing to compare with


def kpi_definitions(con, rows):
    """marts.kpi_definitions as dbt builds it: a new table every time (the KPI's range
    left open)."""
    create(con, "marts.kpi_definitions", KPI_DEFINITIONS, [(*r, None, None) for r in rows])


def test_a_mart_built_again_with_the_same_rows_is_not_validated_again(con, validated):
    rows = [("enps", "eNPS", "eNPS", "score", "up", "survey", "d"),
            ("order_lead_time_days", "Durchlaufzeit", "Lead time", "days", "down", "erp", "d"),
            ("training_coverage", "Schulung", "Training", "share", "up", "lms", "d")]
    kpi_definitions(con, rows)
    first = run_suite(con, DEFINITIONS_SUITE, today=TODAY)
    assert validated == [3] and all(r.passed for r in first)
    validated.clear()
    kpi_definitions(con, list(reversed(rows)))  # the same rows in another order
    assert run_suite(con, DEFINITIONS_SUITE, today=TODAY) == first
    assert validated == []
    # one value changed: the table is validated whole, and the change is found
    kpi_definitions(con, [*rows[:2], ("training_coverage", "Schulung", "Training", "share",
                                      "sideways", "lms", "d")])
    changed = run_suite(con, DEFINITIONS_SUITE, today=TODAY)
    assert validated == [3]
    direction = next(r for r in changed if r.check_name == "column_values_to_be_in_set(direction)")
    assert not direction.passed and direction.observed.startswith("1 of 3 rows")
