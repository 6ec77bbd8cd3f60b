"""Which months the incremental models recompute, or that they are rebuilt whole
(transform/increment.py), on a small graph and a small raw layer."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dagster_project.transform.increment import SWITCH_ENV, plan_increment

D = dt.date
INC = "model.leitstand.counted"
ORDERS, UNITS = "source.leitstand.raw.erp_orders", "source.leitstand.raw.org_units"
TODAY = "model.leitstand.today"


def _manifest(by: str = "erp_orders") -> dict:
    parents = {
        "model.leitstand.stg": [ORDERS],
        INC: ["model.leitstand.stg", UNITS],
        "model.leitstand.later": [INC, TODAY],
        TODAY: [],
    }
    nodes = {uid: {"name": uid.split(".")[-1], "config": {"materialized": "table"}}
             for uid in parents}
    nodes[INC]["config"] = {"materialized": "incremental", "meta": {"leitstand_increment_by": by}}
    sources = {ORDERS: {"source_name": "raw", "name": "erp_orders"},
               UNITS: {"source_name": "raw", "name": "org_units"}}
    return {"nodes": nodes, "sources": sources, "parent_map": parents}


@pytest.fixture
def con():
    """Orders of Jan, Mar and Jun 2025 built in state s1; then `new.csv` merged (state s2):
    one order of May, and a new version of order 1 (of January) dated April."""
    with duckdb.connect() as con:
        con.execute("""
            create schema meta; create schema raw_files; create schema raw_held;
            create table meta.raw_state (source varchar, fingerprint varchar,
                                         merged_from varchar, merged_files varchar[]);
            insert into meta.raw_state values ('erp_orders', 's2', 's1', ['new.csv']),
                                              ('org_units', 'u1', null, null);
            create table raw_files.erp_orders (order_id varchar, order_date date,
                                               _file_name varchar);
            insert into raw_files.erp_orders values
                ('2', '2025-03-10', 'old.csv'), ('3', '2025-06-30', 'old.csv'),
                ('1', '2025-04-02', 'new.csv'), ('4', '2025-05-05', 'new.csv');
            create table raw_held.erp_orders as select * from raw_files.erp_orders limit 0;
            insert into raw_held.erp_orders values ('1', '2025-01-15', 'old.csv');
        """)
        yield con


STALE = {"model.leitstand.stg", INC, "model.leitstand.later"}
LAST = {"erp_orders": "s1", "org_units": "u1"}


def test_the_months_of_the_new_rows_and_of_the_rows_they_replace(con):
    increment = plan_increment(con, _manifest(), STALE, [ORDERS], LAST)
    # January: the old version of order 1; February: between it and the first month the
    # rows kept from before span (safe: more than needed, never less)
    assert increment.months == {"erp_orders": (D(2025, 1, 1), D(2025, 2, 1), D(2025, 4, 1),
                                               D(2025, 5, 1))}


def test_months_the_new_rows_add_to_the_span_are_recomputed(con):
    con.execute("insert into raw_files.erp_orders values ('5', '2025-10-01', 'new.csv'), "
                "('6', '2024-10-01', 'new.csv')")
    months = plan_increment(con, _manifest(), STALE, [ORDERS], LAST).months["erp_orders"]
    # Oct 2024 .. Jan 2025 (before the old first month) and Jul .. Oct 2025 (after the last)
    assert [m for m in months if m.year == 2024] == [D(2024, 10, 1), D(2024, 11, 1),
                                                      D(2024, 12, 1)]
    assert [m for m in months if m >= D(2025, 6, 1)] == [D(2025, m, 1) for m in (7, 8, 9, 10)]


@pytest.mark.parametrize("change, why", [
    ("update meta.raw_state set merged_from = null, merged_files = null "
     "where source = 'erp_orders'", "otherwise than by one merge"),  # a file replaced
    ("update meta.raw_state set merged_from = 's0' where source = 'erp_orders'",
     "otherwise than by one merge"),  # a second merge since the last build
    ("insert into raw_files.erp_orders values ('7', null, 'new.csv')", "has no order_date"),
])
def test_what_is_not_one_merge_of_added_rows_rebuilds_whole(con, change, why):
    con.execute(change)
    increment = plan_increment(con, _manifest(), STALE, [ORDERS], LAST)
    assert increment.months is None and why in increment.reason


def test_another_changed_input_or_the_run_date_rebuilds_whole(con):
    assert plan_increment(con, _manifest(), STALE, [ORDERS, UNITS], LAST).months is None
    assert "org_units" in plan_increment(con, _manifest(), STALE, [UNITS], LAST).reason
    # a model incremental by another source than the one that changed
    assert plan_increment(con, _manifest("crm_leads"), STALE, [ORDERS], LAST).months is None
    # run-date models are roots too: one upstream of an incremental model rebuilds it whole
    manifest = _manifest()
    manifest["parent_map"][INC].append(TODAY)
    assert plan_increment(con, manifest, STALE, [ORDERS, TODAY], LAST).months is None
    # downstream of it only: does not matter
    assert plan_increment(con, _manifest(), STALE, [ORDERS, TODAY], LAST).months is not None


def test_nothing_to_recompute_when_the_incremental_models_are_kept(con):
    assert plan_increment(con, _manifest(), {"model.leitstand.later"}, [TODAY], LAST).months == {}


def test_the_switch_turns_it_off(con, monkeypatch):
    monkeypatch.setenv(SWITCH_ENV, "0")
    assert plan_increment(con, _manifest(), STALE, [ORDERS], LAST).months is None
