"""dbt rebuilds only the models whose inputs changed since the last build (transform/plan.py).

The plan on a small graph (which nodes are kept, and every reason to build everything),
then real runs of the sample: after a daily ERP export, dbt builds the models downstream
of `raw.erp_orders` and `marts.actions` and nothing else, and publishes exactly what a
build of every model publishes.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from dagster_project.core.settings import DBT_PROJECT_DIR
from dagster_project.transform.plan import (
    KEPT_FROM_RUN,
    BuildPlan,
    Project,
    add_kept_results,
    exclude_args,
    forget_build,
    plan_build,
    raw_state,
    read_results,
    record_build,
)

PROJECT = Project("project-1", last_changed=100.0)
WRITTEN = 200.0  # Dagster's manifest: written after the project's last change

# every model of the project, as `make setup` parsed it
MODELS = sum(1 for node in json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(
    encoding="utf-8"))["nodes"].values() if node["resource_type"] == "model")


def _node(uid: str, schema: str, parents: list[str], tags: list[str] | None = None) -> dict:
    name = uid.split(".")[-1]
    return {"unique_id": uid, "name": name, "schema": schema, "fqn": ["leitstand", schema, name],
            "tags": tags or [], "depends_on": {"nodes": parents}}


def _manifest() -> dict:
    """raw.orders → stg_orders → kpi ← stg_units ← raw.units; stg_units → units; actions reads
    the run's date; a seed; tests on units (alone) and on kpi with units (a relationship)."""
    nodes = [
        _node("model.leitstand.stg_orders", "staging", ["source.leitstand.raw.orders"]),
        _node("model.leitstand.stg_units", "staging", ["source.leitstand.raw.units"]),
        _node("model.leitstand.kpi", "marts",
              ["model.leitstand.stg_orders", "model.leitstand.stg_units"]),
        _node("model.leitstand.units", "marts", ["model.leitstand.stg_units"]),
        _node("model.leitstand.actions", "marts", [], tags=["run_date"]),
        _node("seed.leitstand.catalog", "staging", []),
        _node("test.leitstand.not_null_units_id", "marts", ["model.leitstand.units"]),
        _node("test.leitstand.relationships_kpi_unit", "marts",
              ["model.leitstand.kpi", "model.leitstand.units"]),
    ]
    parent_map = {n["unique_id"]: n["depends_on"]["nodes"] for n in nodes}
    sources = {f"source.leitstand.raw.{s}": {"source_name": "raw", "name": s}
               for s in ("orders", "units")}
    child_map: dict[str, list[str]] = {uid: [] for uid in [*parent_map, *sources]}
    for uid, parents in parent_map.items():
        for parent in parents:
            child_map[parent].append(uid)
    return {"nodes": {n["unique_id"]: n for n in nodes}, "sources": sources,
            "parent_map": parent_map, "child_map": child_map}


RESULTS = {uid: {"unique_id": uid, "status": "pass"}
           for uid in ("test.leitstand.not_null_units_id", "test.leitstand.relationships_kpi_unit")}


@pytest.fixture
def con():
    """A build database after a build in run `r1` from orders@1 and units@1."""
    with duckdb.connect() as con:
        con.execute("create schema meta; create schema staging; create schema marts")
        con.execute("create table meta.raw_state (source varchar, fingerprint varchar)")
        con.execute("insert into meta.raw_state values ('orders', 'o1'), ('units', 'u1')")
        for table in ("staging.stg_units", "staging.catalog", "marts.units", "marts.kpi",
                      "marts.actions"):
            con.execute(f"create table {table} as select 1 as x")
        con.execute("create view staging.stg_orders as select 1 as x")
        record_build(con, "r1", PROJECT, raw_state(con))
        yield con


def _plan(con, results=RESULTS, run="r1", project=PROJECT, written=WRITTEN) -> BuildPlan:
    return plan_build(con, _manifest(), written, project, raw_state(con), results, run)


def test_new_orders_keep_everything_that_does_not_read_them(con):
    con.execute("update meta.raw_state set fingerprint = 'o2' where source = 'orders'")
    plan = _plan(con)
    assert plan.changed_sources == ("orders",) and plan.since_run == "r1"
    assert plan.kept == {"model.leitstand.stg_units", "model.leitstand.units",
                         "seed.leitstand.catalog", "test.leitstand.not_null_units_id"}
    # the relationship test reads a rebuilt model: it runs, though its other table is kept
    assert plan.kept_results == {"test.leitstand.not_null_units_id":
                                 RESULTS["test.leitstand.not_null_units_id"]}
    args = exclude_args(plan, _manifest())
    assert args == ["--exclude", "fqn:leitstand.marts.not_null_units_id fqn:leitstand.marts.units "
                    "fqn:leitstand.staging.catalog fqn:leitstand.staging.stg_units",
                    "--indirect-selection", "empty"]


def test_with_nothing_changed_only_what_reads_the_run_date_is_built(con):
    plan = _plan(con)
    assert plan.changed_sources == ()
    assert {uid.split(".")[-1] for uid in plan.kept} == {
        "stg_orders", "stg_units", "kpi", "units", "catalog", "not_null_units_id",
        "relationships_kpi_unit"}


def test_a_changed_master_table_rebuilds_what_reads_it(con):
    con.execute("update meta.raw_state set fingerprint = 'u2' where source = 'units'")
    assert _plan(con).kept == {"model.leitstand.stg_orders", "seed.leitstand.catalog"}


@pytest.mark.parametrize("change, reason", [
    (lambda con: forget_build(con), "no record"),
    (lambda con: con.execute("drop table marts.units"), "marts.units is not in the build"),
])
def test_what_builds_everything(con, change, reason):
    change(con)
    plan = _plan(con)
    assert plan.full and reason in plan.reason
    assert exclude_args(plan, _manifest()) == []


def test_another_project_results_of_another_run_or_an_old_manifest_build_everything(con):
    assert _plan(con, project=Project("project-2", 100.0)).full
    assert "dbt project" in _plan(con, project=Project("project-2", 100.0)).reason
    assert _plan(con, run="r0").full  # the target folder holds another run's results
    assert _plan(con, results=None).full
    missing = {k: v for k, v in RESULTS.items() if "not_null" not in k}
    assert "not_null_units_id" in _plan(con, results=missing).reason
    assert "make setup" in _plan(con, written=50.0).reason
    assert not _plan(con).full


def test_kept_results_are_added_to_the_build_results_with_the_run_they_come_from(tmp_path):
    path = tmp_path / "run_results.json"
    built = {"unique_id": "test.leitstand.relationships_kpi_unit", "status": "pass"}
    path.write_text(json.dumps({"results": [built], "elapsed_time": 1.0}))
    older = {KEPT_FROM_RUN: "r0", "unique_id": "test.leitstand.b", "status": "warn"}
    plan = BuildPlan("x", kept=frozenset({"test.leitstand.a", "test.leitstand.b"}),
                     kept_results={"test.leitstand.a": {"unique_id": "test.leitstand.a",
                                                        "status": "pass"},
                                   "test.leitstand.b": older},
                     since_run="r1")
    add_kept_results(path, plan)
    results = read_results(path)
    assert results["test.leitstand.relationships_kpi_unit"] == built
    assert results["test.leitstand.a"][KEPT_FROM_RUN] == "r1"
    assert results["test.leitstand.b"] == older  # kept twice: still the run that ran it


# ---- real runs of the sample ----------------------------------------------------------

def _marts(db) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by 1").fetchall()]
        return {t: con.sql(f"select * from marts.{t} order by all").df() for t in tables}


def test_a_daily_export_rebuilds_only_what_reads_the_orders(copied_run, tmp_path):
    """The re-run keeps the models that do not read the orders (their tests keep their
    results, named so in the gate's summary) and publishes what a build of every model
    publishes from the same data."""
    import datetime as dt

    from dagster_project.sample.bulk import write_daily_orders
    from tests.conftest import run_pipeline_in

    write_daily_orders(copied_run.sources_dir, seed=42, scale=1, day=dt.date(2026, 10, 30))
    whole = tmp_path / "whole"  # the same data dir, to be built whole
    shutil.copytree(copied_run.data_dir, whole)
    with duckdb.connect(str(whole / "build.duckdb")) as con:
        forget_build(con)
    before = _marts(copied_run.data_dir / "build.duckdb")

    events: list = []
    outcome = run_pipeline_in(copied_run.sources_dir, copied_run.data_dir, events=events)
    assert outcome.published, outcome.report()
    results = read_results(copied_run.data_dir / "dbt" / "run_results.json")
    built = {uid.split(".")[2] for uid, r in results.items()
             if uid.startswith("model.") and KEPT_FROM_RUN not in r}
    assert built == {
        "stg_erp_orders__orders", "int_orders_counted", "int_digital_order_share_rolled_up",
        "int_digital_revenue_share_rolled_up", "int_order_lead_time_days_rolled_up",
        "int_repeat_customer_rate_rolled_up", "int_kpi_data_as_of_dated",
        "int_kpi_cells_unioned", "int_privacy_cells_unioned", "int_privacy_cells_suppressed",
        "kpi_monthly", "kpi_status", "maturity_by_dimension", "tool_adoption", "actions",
        "audit_privacy_cells", "kpi_comments"}
    kept = {uid for uid, r in results.items() if KEPT_FROM_RUN in r}
    assert {results[uid][KEPT_FROM_RUN] for uid in kept} == {copied_run.outcome.run_id}
    assert any(".unique_org_units_org_unit_id." in uid for uid in kept)
    with duckdb.connect(str(copied_run.data_dir / "build.duckdb"), read_only=True) as con:
        messages = [r[0] for r in con.execute(
            "select message from dq.gate_results where run_id = ? and check_name = "
            "'dbt:unique_org_units_org_unit_id'", [outcome.run_id]).fetchall()]
    assert messages == ["dbt test unique_org_units_org_unit_id on marts.org_units: pass (kept "
                        f"from run {copied_run.outcome.run_id}: its tables were not rebuilt)"]
    # Dagster saw the kept models materialized and the kept tests evaluated, marked so
    kept_marks = {}
    for e in events:
        event = e.dagster_event
        if event is None or event.event_type_value not in (
                "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION"):
            continue
        data = event.event_specific_data
        data = getattr(data, "materialization", data)
        if "leitstand/kept_from_run" in data.metadata:
            kept_marks[event.event_type_value] = kept_marks.get(event.event_type_value, 0) + 1
    assert kept_marks == {"ASSET_MATERIALIZATION": MODELS - len(built) + 2,  # and the 2 seeds
                          "ASSET_CHECK_EVALUATION": len(kept)}

    outcome_whole = run_pipeline_in(copied_run.sources_dir, whole)
    assert outcome_whole.published, outcome_whole.report()
    whole_results = read_results(whole / "dbt" / "run_results.json")
    assert not any(KEPT_FROM_RUN in r for r in whole_results.values())
    assert len([uid for uid in whole_results if uid.startswith("model.")]) == MODELS
    partial, full = _marts(copied_run.data_dir / "build.duckdb"), _marts(whole / "build.duckdb")
    assert partial.keys() == full.keys() and len(full) == 11
    for table, frame in full.items():
        pd.testing.assert_frame_equal(partial[table], frame, check_exact=True, obj=table)
    # and the daily export did change what they publish
    assert not before["kpi_monthly"].equals(full["kpi_monthly"])


def test_every_model_that_reads_the_date_is_built_on_every_run():
    """A model reading today's date is not a function of its inputs alone: it carries the
    `run_date` tag, so the plan never keeps it (nor a macro of ours reads the date)."""
    import re

    from dagster_project.transform.plan import RUN_DATE_TAG
    from dagster_project.transform.project import dbt_project

    reads_date = re.compile(r"current_timestamp|current_date|\bnow\s*\(|run_started_at|"
                            r"\btoday\b|localtimestamp|get_current_time", re.IGNORECASE)
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    tags = {n["original_file_path"]: n["tags"] for n in manifest["nodes"].values()
            if n["resource_type"] == "model"}
    readers = [p.relative_to(DBT_PROJECT_DIR).as_posix()
               for p in sorted((DBT_PROJECT_DIR / "models").rglob("*.sql"))
               if reads_date.search(p.read_text(encoding="utf-8"))]
    assert "models/marts/actions.sql" in readers  # the pattern finds what it looks for
    assert [path for path in readers if RUN_DATE_TAG not in tags[path]] == []
    assert not [p for p in (DBT_PROJECT_DIR / "macros").rglob("*.sql")
                if reads_date.search(p.read_text(encoding="utf-8"))]
