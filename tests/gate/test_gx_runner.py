"""The GX suite runner on hand-made raw tables: what fails, and what the message names."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dagster_project.core.settings import EXPECTATIONS_DIR
from dagster_project.gate import gx_runner
from dagster_project.gate.gx_runner import run_suite
from dagster_project.gate.results import ERROR, WARN, blocked

from .conftest import TODAY
from .tables import create_raw, erp_orders, good_order, org_units

ERP_SUITE = EXPECTATIONS_DIR / "raw.erp_orders.json"


def _failed(results):
    return {r.check_name: r for r in results if not r.passed}


def test_clean_orders_pass_every_expectation(con):
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-2", channel="Fax", status="open")])
    results = run_suite(con, ERP_SUITE, today=TODAY)
    assert results and all(r.source_or_table == "raw.erp_orders" for r in results)
    assert _failed(results) == {}
    assert not blocked(results)


def test_future_date_names_value_file_and_row(con):
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-2", order_date=dt.date(2027, 1, 3),
                                                    confirmed_date=None)])
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    result = failed["column_values_to_be_between(order_date)"]
    assert result.severity == ERROR and result.blocks
    assert "raw.erp_orders.order_date" in result.message
    assert "2027-01-03" in result.message
    assert "orders_2026-10-31.csv row 3" in result.message
    assert "2026-11-22" in result.threshold  # today, as the run saw it
    assert result.observed.startswith("1 of 2 rows")


def test_unknown_org_unit_and_duplicate_key_block(con):
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-1", org_unit_id="VT-XX")])
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    assert "'VT-XX'" in failed["column_values_to_be_in_set(org_unit_id)"].message
    assert "config/org_units.csv" in failed["column_values_to_be_in_set(org_unit_id)"].message
    assert "'A-1'" in failed["column_values_to_be_unique(order_id)"].message


def test_key_rules_count_against_the_table_and_name_the_rows(con):
    """Key rules validate only the suspect rows, yet read like a check of the whole table."""
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-2"), good_order("A-1"),
                     good_order("A-3"), good_order(None)])
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    unique = failed["column_values_to_be_unique(order_id)"]
    assert unique.blocks and unique.observed.startswith("2 of 5 rows")
    assert "'A-1' (orders_2026-10-31.csv row 2)" in unique.message
    assert "orders_2026-10-31.csv row 4" in unique.message
    not_null = failed["column_values_to_not_be_null(order_id)"]
    assert not_null.blocks and not_null.observed.startswith("1 of 5 rows")
    assert "orders_2026-10-31.csv row 6" in not_null.message


def test_rules_checked_a_chunk_at_a_time_give_the_verdict_of_the_whole_table(con, monkeypatch):
    """Tables above `CHUNK_ROWS` are checked in chunks (bounded memory), row rules only on
    the rows SQL says may fail them (preselect.py): the same results, messages and example
    rows as one pass over the whole table."""
    org_units(con)
    rows = [good_order(f"A-{i}") for i in range(8)]
    rows[1] = good_order("A-1", net_amount=-5.0)
    rows[4] = good_order("A-4", org_unit_id="VT-XX", order_date=dt.date(2027, 1, 3),
                         confirmed_date=None)
    rows[6] = good_order("A-6", net_amount=-7.0, status="weg")
    rows[7] = good_order("A-2")
    erp_orders(con, rows)
    whole = run_suite(con, ERP_SUITE, today=TODAY)
    checked_rows = []
    real_validate = gx_runner._validate

    def spy(frame, expectations, parameters):
        checked_rows.append(len(frame))
        return real_validate(frame, expectations, parameters)

    monkeypatch.setattr(gx_runner, "_validate", spy)
    monkeypatch.setattr(gx_runner, "CHUNK_ROWS", 3)
    chunked = run_suite(con, ERP_SUITE, today=TODAY)
    assert chunked == whole
    # the row rules on the three rows that may fail them (1, 4, 6), the row count (whole
    # table) and the key rows apart; chunks of preselected rows: test_preselect.py
    assert sorted(checked_rows) == [2, 3, 8]
    failed = _failed(chunked)
    negative = failed["net_amount_not_negative"]
    assert negative.observed.startswith("2 of 8 rows")
    assert "row 3)" in negative.message and "row 8)" in negative.message
    assert set(failed) == {
        "net_amount_not_negative", "column_values_to_be_in_set(org_unit_id)",
        "column_values_to_be_between(order_date)", "column_values_to_be_in_set(status)",
        "column_values_to_be_unique(order_id)"}


def test_memory_is_released_after_large_chunks_only(con, monkeypatch):
    """A full garbage collection after each chunk bounds the memory of large tables; after a
    chunk of a few rows it would only cost time (~0.3 s in a run's process)."""
    org_units(con)
    rows = [good_order(f"A-{i}", net_amount=-1.0) for i in range(8)]  # every row may fail
    erp_orders(con, rows)
    released = []
    monkeypatch.setattr(gx_runner, "_release_memory", lambda: released.append(1))
    monkeypatch.setattr(gx_runner, "CHUNK_ROWS", 3)
    monkeypatch.setattr(gx_runner, "RELEASE_ROWS", 3)
    run_suite(con, ERP_SUITE, today=TODAY)
    with_full_chunks = len(released)
    released.clear()
    monkeypatch.setattr(gx_runner, "RELEASE_ROWS", 4)
    run_suite(con, ERP_SUITE, today=TODAY)
    assert with_full_chunks >= 2 and released == []


def test_gx_source_is_made_once_per_process(con, monkeypatch):
    """Two suites validated through one GX context and pandas source, with the verdicts
    each would get alone (making them took ~13 ms per batch validated, ~34 a run)."""
    import great_expectations as gx

    made = []
    real_get_context = gx.get_context

    def spy(*args, **kwargs):
        made.append(1)
        return real_get_context(*args, **kwargs)

    monkeypatch.setattr(gx, "get_context", spy)
    gx_runner._batch_definition.cache_clear()
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-2", net_amount=-1.0)])
    first = run_suite(con, ERP_SUITE, today=TODAY)
    second = run_suite(con, ERP_SUITE, today=TODAY)
    assert made == [1]
    assert _failed(first).keys() == _failed(second).keys() == {"net_amount_not_negative"}


def test_a_large_frame_is_not_kept_by_gx_after_its_validation(monkeypatch):
    """The cached GX source holds the frame it validated last: a large one (a chunk of 2 M
    rows) must go when the runner lets it go, as it did with a context per validation."""
    import gc
    import weakref

    import pandas as pd

    from dagster_project.gate.suites import Expectation

    rule = Expectation(0, {"type": "expect_column_values_to_not_be_null",
                           "kwargs": {"column": "a"}}, "not_null(a)", "table", "", False, "")
    monkeypatch.setattr(gx_runner, "RELEASE_ROWS", 5)

    def validated_and_let_go(rows: int) -> weakref.ref:
        frame = pd.DataFrame({"a": range(rows)})
        assert gx_runner._validate(frame, [rule], {})[0].success
        return weakref.ref(frame)

    large = validated_and_let_go(5)
    gc.collect()
    assert large() is None
    small = validated_and_let_go(4)
    gc.collect()
    assert small() is not None  # held until the next validation: the check above can fail


def test_the_row_count_of_a_large_table_is_checked_without_copying_it(con, monkeypatch):
    org_units(con)
    erp_orders(con, [good_order(f"A-{i}") for i in range(8)])
    frames = []
    real_validate = gx_runner._validate

    def spy(frame, expectations, parameters):
        frames.append((len(frame), list(frame.columns), [e.check_name for e in expectations]))
        return real_validate(frame, expectations, parameters)

    monkeypatch.setattr(gx_runner, "_validate", spy)
    monkeypatch.setattr(gx_runner, "CHUNK_ROWS", 3)
    results = {r.check_name: r for r in run_suite(con, ERP_SUITE, today=TODAY)}
    assert (8, [], ["has_rows"]) in frames
    assert results["has_rows"].passed and results["has_rows"].observed == "8"


def test_frames_are_validated_without_gx_hashing_them(con, monkeypatch):
    """GX fingerprints each frame below 1 GB by hashing every row (0.35 s for the 10 M-row
    frame of a row-count rule); the runner turns that off. Fails if GX renames the limit."""
    from great_expectations.execution_engine import pandas_execution_engine

    def hashed(frame):
        raise AssertionError(f"GX hashed a frame of {len(frame)} rows")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", hashed)
    org_units(con)
    erp_orders(con, [good_order("A-1"), good_order("A-2")])
    results = run_suite(con, ERP_SUITE, today=TODAY)
    assert results and _failed(results) == {}


def test_repeated_compound_key_of_usage_rows_blocks(con):
    org_units(con)
    usage = {"employee_id": "varchar", "tool": "varchar", "activity_date": "date",
             "events": "bigint"}
    day = dt.date(2026, 10, 5)
    create_raw(con, "it_usage", usage, [("E1", "Teams", day, 3), ("E1", "SAP", day, 1),
                                        ("E1", "Teams", day, 4)], "nutzung_2026-10.csv")
    failed = _failed(run_suite(con, EXPECTATIONS_DIR / "raw.it_usage.json", today=TODAY))
    unique = failed["compound_columns_to_be_unique(employee_id, tool, activity_date)"]
    assert unique.blocks and unique.observed.startswith("2 of 3 rows")
    assert "nutzung_2026-10.csv row 2" in unique.message
    assert set(failed) == {"compound_columns_to_be_unique(employee_id, tool, activity_date)"}


def test_mostly_on_suspect_rows_is_refused(tmp_path):
    from dagster_project.gate.suites import SuiteFileError, load_suite

    path = tmp_path / "raw.x.json"
    path.write_text(json.dumps({
        "name": "raw.x",
        "expectations": [{"type": "expect_column_values_to_be_unique",
                          "kwargs": {"column": "a", "mostly": 0.9},
                          "meta": {"batch": "keys"}}],
        "meta": {"leitstand": {"profiles": {"keys": "select a from raw.x"},
                               "suspect_rows": ["keys"]}}}))
    with pytest.raises(SuiteFileError, match="raw.x.json.*'mostly'"):
        load_suite(path)


def test_confirmation_before_order_is_named_with_both_dates(con):
    org_units(con)
    erp_orders(con, [good_order("A-1", order_date=dt.date(2026, 10, 9),
                                confirmed_date=dt.date(2026, 10, 2))])
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    pair_check = "column_pair_values_a_to_be_greater_than_b(confirmed_date, order_date)"
    message = failed[pair_check].message
    assert "2026-10-02" in message and "2026-10-09" in message


def test_implausible_amount_only_warns(con):
    org_units(con)
    erp_orders(con, [good_order("A-1", net_amount=25_000_000.0)])
    results = run_suite(con, ERP_SUITE, today=TODAY)
    failed = _failed(results)
    assert set(failed) == {"net_amount_plausible"}
    assert failed["net_amount_plausible"].severity == WARN
    assert "25000000" in failed["net_amount_plausible"].message
    assert not blocked(results)


def test_negative_amount_blocks(con):
    org_units(con)
    erp_orders(con, [good_order("A-1", net_amount=-10.0)])
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    assert failed["net_amount_not_negative"].blocks
    assert "-10" in failed["net_amount_not_negative"].message


def test_missing_table_is_a_blocking_result(con):
    results = run_suite(con, ERP_SUITE, today=TODAY)
    assert len(results) == 1 and results[0].blocks
    assert "raw.erp_orders does not exist" in results[0].message


def test_missing_column_names_column_and_suite(con, tmp_path):
    org_units(con)
    erp_orders(con, [good_order("A-1")])
    con.execute("alter table raw.erp_orders drop column currency")
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    message = failed["column_values_to_be_in_set(currency)"].message
    assert "column currency is missing" in message and "raw.erp_orders.json" in message


def test_only_the_checked_columns_are_fetched(con, monkeypatch):
    org_units(con)
    erp_orders(con, [good_order("A-1")])
    con.execute("alter table raw.erp_orders add column internal_note varchar default 'x'")
    fetched = []
    real_fetch = gx_runner._fetch_table

    def spy(con_, table, columns):
        fetched.append((table, list(columns)))
        return real_fetch(con_, table, columns)

    monkeypatch.setattr(gx_runner, "_fetch_table", spy)
    run_suite(con, ERP_SUITE, today=TODAY)
    [(table, columns)] = fetched
    assert table == "raw.erp_orders"
    assert "internal_note" not in columns and "_file_name" not in columns
    assert {"order_date", "net_amount", "org_unit_id"} <= set(columns)
    assert "order_id" not in columns  # its key rules read only the suspect rows, in SQL


def test_suite_with_unknown_batch_is_rejected_with_file_name(con, tmp_path):
    from dagster_project.gate.suites import SuiteFileError

    path = tmp_path / "raw.x.json"
    path.write_text(json.dumps({"name": "raw.x", "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
         "meta": {"batch": "nope"}}]}))
    with pytest.raises(SuiteFileError, match="raw.x.json.*'nope'"):
        run_suite(con, path, today=TODAY)


@pytest.mark.parametrize("path", sorted(EXPECTATIONS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_suite_file_is_a_valid_gx_suite(path):
    """Each file loads as a GX 1.x suite (types and kwargs known to GX) and names its table."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    from dagster_project.gate.suites import load_suite

    suite = load_suite(path)
    assert suite.table == path.name.removesuffix(".json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    gx_suite = ExpectationSuite(name=doc["name"], expectations=doc["expectations"])
    assert len(gx_suite.expectations) == len(suite.expectations) > 0
    names = [e.check_name for e in suite.expectations]
    assert len(names) == len(set(names))


def test_failing_rows_are_named_in_file_and_row_order_whatever_the_table_order(con):
    """A raw table's rows come in no promised order (ingest/store.py): the message names
    its examples sorted by file and row (row 9 before row 10), so it reads the same on
    every run."""
    org_units(con)
    erp_orders(con, [good_order(f"A-{i}", net_amount=-1.0 - i) for i in range(11)])  # rows 2-12
    con.execute("create or replace table raw.erp_orders as "
                "select * from raw.erp_orders order by _row_number desc")
    failed = _failed(run_suite(con, ERP_SUITE, today=TODAY))
    message = next(r.message for r in failed.values() if "net_amount" in r.check_name)
    assert ("e.g. -1 (orders_2026-10-31.csv row 2), -2 (orders_2026-10-31.csv row 3), "
            "-3 (orders_2026-10-31.csv row 4)") in message, message
