"""The gate as Dagster asset checks: a failed error check stops what is downstream."""

from __future__ import annotations

import datetime as dt
import json
import re

import dagster as dg
import duckdb

from dagster_project.core.settings import EXPECTATIONS_DIR, load_settings
from dagster_project.defs.checks import build_gate_checks
from dagster_project.defs.resources import LeitstandPaths

from .tables import create, erp_orders, good_order, org_units, settings


def _pipeline(rows, rejected=()):
    """raw/erp_orders (writes hand-made rows) → published (a stand-in for publish)."""

    @dg.asset(key=["raw", "erp_orders"])
    def raw_erp_orders(paths: LeitstandPaths) -> None:
        with duckdb.connect(str(paths.settings().build_db)) as con:
            org_units(con)
            settings(con)
            erp_orders(con, rows)
            create(con, "meta.rejected_files", {"load_id": "varchar", "source": "varchar",
                                                "file_name": "varchar", "message": "varchar"},
                   [("l", "erp_orders", f, m) for f, m in rejected])

    @dg.asset(key="published", deps=[raw_erp_orders])
    def published() -> None:
        return None

    return [raw_erp_orders, published, *build_gate_checks(["erp_orders"], [], [])]


def _materialize(tmp_path, rows, rejected=()):
    paths = LeitstandPaths(sources_dir=str(tmp_path / "sources"), data_dir=str(tmp_path / "data"))
    (tmp_path / "data").mkdir(exist_ok=True)
    with dg.instance_for_test() as instance:
        result = dg.materialize(_pipeline(rows, rejected), resources={"paths": paths},
                                instance=instance, raise_on_error=False)
        done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        return result.run_id, done, checks




def _today_rows():
    today = dt.date.today()
    return [good_order("A-1", order_date=today - dt.timedelta(days=3),
                       confirmed_date=today - dt.timedelta(days=2))]


def test_a_clean_table_passes_every_check_and_reaches_downstream(tmp_path):
    run_id, done, checks = _materialize(tmp_path, _today_rows())
    assert "published" in done
    assert {"expectations", "rejected_files", "quarantine_share", "channel_map",
            "freshness"} <= set(checks)
    assert all(c.passed for c in checks.values())
    report = json.loads((tmp_path / "data" / "runs" / f"{run_id}.json").read_text())
    assert report["blocked"] is False and len(report["results"]) > 10


def test_a_failed_check_blocks_downstream_and_records_why(tmp_path):
    rows = [*_today_rows(), good_order("A-2", channel="Telefax", order_date=dt.date.today(),
                                          confirmed_date=None)]
    rejected = [("orders_bad.csv", "orders_bad.csv (erp_orders): required column order_id missing")]
    run_id, done, checks = _materialize(tmp_path, rows, rejected)
    assert "raw/erp_orders" in done and "published" not in done
    assert not checks["channel_map"].passed and not checks["rejected_files"].passed
    assert checks["channel_map"].severity == dg.AssetCheckSeverity.ERROR
    assert checks["expectations"].passed
    settings_ = load_settings(tmp_path / "sources", tmp_path / "data")
    with duckdb.connect(str(settings_.build_db), read_only=True) as con:
        failed = con.execute(
            "select source_or_table, check_name, message from dq.gate_results "
            "where run_id = ? and not passed order by check_name", [run_id]).fetchall()
    assert [(s, c) for s, c, _ in failed] == [("erp_orders", "channel_map"),
                                              ("erp_orders", "rejected_files")]
    assert "'Telefax' (1 rows)" in failed[0][2]
    assert "orders_bad.csv" in failed[1][2] and "order_id" in failed[1][2]


def test_a_warning_alone_does_not_block(tmp_path):
    old = [good_order("A-1", order_date=dt.date(2024, 1, 5), confirmed_date=None)]
    _, done, checks = _materialize(tmp_path, old)
    assert not checks["freshness"].passed
    assert checks["freshness"].severity == dg.AssetCheckSeverity.WARN
    assert "published" in done


def test_every_suite_has_a_check_and_the_marts_get_theirs(tmp_path):
    marts = sorted(p.name.removesuffix(".json").split(".", 1)[1]
                   for p in EXPECTATIONS_DIR.glob("marts.*.json"))
    raws = sorted(p.name.removesuffix(".json").split(".", 1)[1]
                  for p in EXPECTATIONS_DIR.glob("raw.*.json"))
    checks = build_gate_checks([], raws, marts)
    keys = {key.asset_key.to_user_string(): set() for c in checks for key in c.check_keys}
    for c in checks:
        for key in c.check_keys:
            keys[key.asset_key.to_user_string()].add(key.name)
    assert "expectations" in keys["marts/kpi_monthly"]
    assert all(f"raw/{t}" in keys for t in raws)
    assert all("expectations" in keys[f"marts/{m}"] for m in marts)


def test_a_rule_that_crashes_is_a_failed_result_not_a_pass():
    from dagster_project.defs.checks import _run_rule

    def broken(con, settings):
        raise ValueError("column 'x' has an unexpected type")

    [result] = _run_rule(broken, None, None, dg.AssetKey(["raw", "erp_orders"]), "channel_map",
                         blocking=True)
    assert result.blocks and "could not run" in result.message
    assert "unexpected type" in result.message and result.source_or_table == "raw/erp_orders"
    [warning] = _run_rule(broken, None, None, dg.AssetKey(["raw", "erp_orders"]), "freshness",
                          blocking=False)
    assert not warning.passed and not warning.blocks


def test_checks_share_steps_without_cutting_any_step_in_pieces():
    """A blocking check makes what is downstream of its asset wait for it; checks sharing a
    step must not make that step wait for itself, or Dagster cuts it (and dbt) in pieces."""
    from dagster_project.defs.definitions import defs
    from dagster_project.defs.jobs import PIPELINE_JOB

    nodes = sorted(n.name for n in defs.resolve_job_def(PIPELINE_JOB).graph.nodes)
    assert not [n for n in nodes if re.search(r"_\d+$", n)], nodes
    assert nodes.count("dbt_models") == 1
    gate_steps = [n for n in nodes if n.startswith("gate_")]
    assert {"gate_config", "gate_raw", "gate_raw_hr_employees"} <= set(gate_steps)
    assert "gate_raw_erp_orders" not in gate_steps  # shares gate_raw
