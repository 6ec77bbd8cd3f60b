"""The mart suites: shares in 0..1, one row per cell, privacy, root coverage, status set."""

from __future__ import annotations

import datetime as dt

from dagster_project.core.settings import EXPECTATIONS_DIR
from dagster_project.gate.gx_runner import run_suite

from .conftest import TODAY
from .tables import KPI_DEFINITIONS, ORG_UNITS, create, settings

KPI_MONTHLY = {"kpi_id": "varchar", "month": "date", "org_unit_id": "varchar", "value": "double",
               "numerator": "double", "denominator": "double", "population": "integer",
               "suppressed": "boolean"}
DEFINITIONS = [("digital_order_share", "Digitaler Bestellanteil", "Digital order share", "share",
                "up", "erp_orders", "d", 0, 1),
               ("training_coverage", "Schulungsabdeckung", "Training coverage", "share", "up",
                "lms_trainings", "d", 0, 1),
               ("enps", "eNPS", "eNPS", "score", "up", "survey", "d", -100, 100)]
OCT, SEP = dt.date(2026, 10, 1), dt.date(2026, 9, 1)


def _marts(con, cells, definitions=DEFINITIONS):
    create(con, "marts.kpi_definitions", KPI_DEFINITIONS, definitions)
    create(con, "marts.org_units", {"org_unit_id": "varchar", "name": "varchar",
           "parent_id": "varchar", "depth": "integer", "path": "varchar"},
           [(i, n, p, 0 if p is None else 1, i) for i, n, p in ORG_UNITS])
    create(con, "marts.kpi_monthly", KPI_MONTHLY, cells)
    settings(con, {"min_group_size": "5"})


def _good_cells():
    return [
        ("digital_order_share", SEP, "HAT", 0.5, 50, 100, None, False),
        ("digital_order_share", OCT, "HAT", 0.6, 60, 100, None, False),
        ("digital_order_share", OCT, "VT-IN", 0.7, 7, 10, None, False),
        ("training_coverage", OCT, "HAT", 0.8, 80, 100, 100, False),
        ("training_coverage", OCT, "VT-EX", None, None, None, None, True),
        ("enps", OCT, "HAT", -12.5, -5, 40, 40, False),
    ]


def _run(con, table="marts.kpi_monthly"):
    results = run_suite(con, EXPECTATIONS_DIR / f"{table}.json", today=TODAY)
    return results, {r.check_name: r for r in results if not r.passed}


def test_good_kpi_table_passes(con):
    _marts(con, _good_cells())
    results, failed = _run(con)
    assert failed == {}
    assert len(results) > 10


def test_share_above_one_names_the_cell(con):
    cells = _good_cells()
    cells[2] = ("digital_order_share", OCT, "VT-IN", 1.4, 14, 10, None, False)
    _marts(con, cells)
    _, failed = _run(con)
    message = failed["share_values_in_range"].message
    assert failed["share_values_in_range"].blocks
    assert "1.4" in message and "kpi_id='digital_order_share'" in message
    assert "org_unit_id='VT-IN'" in message and "2026-10-01" in message


def test_enps_is_checked_on_its_own_scale(con):
    cells = _good_cells()
    cells[5] = ("enps", OCT, "HAT", -140.0, -5, 40, 40, False)
    _marts(con, cells)
    _, failed = _run(con)
    assert set(failed) == {"score_values_in_range"}


def test_duplicate_cell_blocks(con):
    _marts(con, [*_good_cells(), ("digital_order_share", OCT, "VT-IN", 0.7, 7, 10, None, False)])
    _, failed = _run(con)
    assert "'VT-IN'" in failed["one_row_per_kpi_month_unit"].message


def test_suppressed_cell_with_numbers_blocks_without_revealing_them(con):
    cells = _good_cells()
    cells[4] = ("training_coverage", OCT, "VT-EX", 0.75, 3, 4, 4, True)
    _marts(con, cells)
    _, failed = _run(con)
    for name in ("value_hidden_when_suppressed", "numerator_hidden_when_suppressed",
                 "denominator_hidden_when_suppressed", "population_hidden_when_suppressed"):
        message = failed[name].message
        assert "org_unit_id='VT-EX'" in message, message
        assert "0.75" not in message and "e.g." not in message


def test_small_published_population_blocks_without_revealing_it(con):
    cells = _good_cells()
    cells[4] = ("training_coverage", OCT, "VT-EX", 0.75, 3, 4, 4, False)
    _marts(con, cells)
    _, failed = _run(con)
    result = failed["population_at_least_min_group_size"]
    assert result.blocks and "VT-EX" in result.message
    assert "e.g. 4" not in result.message and "≥ 5" in result.threshold


def test_kpi_without_root_row_in_latest_month_blocks(con):
    cells = [c for c in _good_cells() if not (c[0] == "digital_order_share" and c[1] == OCT
                                              and c[2] == "HAT")]
    _marts(con, cells)
    _, failed = _run(con)
    result = failed["root_unit_in_latest_month"]
    assert result.blocks and "kpi_id='digital_order_share'" in result.message


def test_kpi_without_any_rows_only_warns(con):
    definitions = [*DEFINITIONS, ("lead_win_rate", "Abschlussquote", "Lead win rate", "share",
                                  "up", "crm_leads", "d", 0, 1)]
    _marts(con, _good_cells(), definitions)
    results, failed = _run(con)
    assert set(failed) == {"every_kpi_has_rows"}
    assert not failed["every_kpi_has_rows"].blocks
    assert "lead_win_rate" in failed["every_kpi_has_rows"].message


def test_status_outside_its_value_set_blocks(con):
    _marts(con, _good_cells())
    create(con, "raw.kpi_targets", {"kpi_id": "varchar", "org_unit_id": "varchar"},
           [("digital_order_share", "HAT"), ("digital_orders_share", "HAT")])
    create(con, "marts.kpi_status", {
        "kpi_id": "varchar", "org_unit_id": "varchar", "month": "date", "value": "double",
        "baseline_value": "double", "target_value": "double", "expected_value": "double",
        "tolerance": "double", "status": "varchar", "progress": "double", "trend_3m": "double",
        "forecast_at_target_date": "double", "target_date": "date", "data_as_of": "date"}, [
        ("digital_order_share", "HAT", OCT, 0.6, 0.2, 0.8, 0.5, 0.05, "green", 0.6, 0.05, 0.9,
         dt.date(2027, 12, 31), dt.date(2026, 10, 30)),
        ("enps", "HAT", OCT, -12.5, None, None, None, None, "grey", None, None, None, None,
         dt.date(2026, 10, 30)),
    ])
    _, failed = _run(con, "marts.kpi_status")
    assert "'grey'" in failed["column_values_to_be_in_set(status)"].message
    assert "digital_orders_share" in failed["targets_name_known_kpis"].message
    assert "config/kpi_targets.csv" in failed["targets_name_known_kpis"].message


STATUS = {"kpi_id": "varchar", "org_unit_id": "varchar", "month": "date", "value": "double",
          "baseline_value": "double", "target_value": "double", "expected_value": "double",
          "tolerance": "double", "status": "varchar", "progress": "double", "trend_3m": "double",
          "forecast_at_target_date": "double", "target_date": "date", "data_as_of": "date",
          "red_below": "integer", "amber_below": "integer"}


def _status_marts(con, forecast: float, red_below_leaf: int) -> None:
    """kpi_definitions (with ranges), the org tree with paths, two kpi_status rows."""
    create(con, "marts.kpi_definitions", KPI_DEFINITIONS, DEFINITIONS)
    create(con, "marts.org_units", {"org_unit_id": "varchar", "name": "varchar",
           "parent_id": "varchar", "depth": "integer", "path": "varchar"},
           [("R", "Firma", None, 0, "R"), ("A", "Bereich", "R", 1, "R/A"),
            ("A1", "Team", "A", 2, "R/A/A1")])
    create(con, "raw.kpi_targets", {"kpi_id": "varchar", "org_unit_id": "varchar"},
           [("digital_order_share", "R")])
    target = (0.2, 0.8, 0.5, 0.05)
    create(con, "marts.kpi_status", STATUS, [
        ("digital_order_share", "R", OCT, 0.6, *target, "green", 0.6, 0.05, forecast,
         dt.date(2027, 12, 31), dt.date(2026, 10, 30), 1, 0),
        ("digital_order_share", "A1", OCT, 0.3, *target, "red", 0.2, 0.01, 0.4,
         dt.date(2027, 12, 31), dt.date(2026, 10, 30), red_below_leaf, 0),
        ("enps", "R", OCT, 90.0, 0.0, 100.0, 80.0, 5.0, "green", 0.9, 3.0, 100.0,
         dt.date(2027, 12, 31), dt.date(2026, 10, 30), 0, 0),
    ])


def test_forecast_within_range_and_counts_below_pass(con):
    _status_marts(con, forecast=1.0, red_below_leaf=0)
    _, failed = _run(con, "marts.kpi_status")
    assert failed == {}


def test_forecast_beyond_the_kpi_range_blocks(con):
    """A share forecast of 108 % cannot be (the range of kpi_definitions is 0..1)."""
    _status_marts(con, forecast=1.08, red_below_leaf=0)
    _, failed = _run(con, "marts.kpi_status")
    assert set(failed) == {"forecast_within_kpi_range"}
    assert failed["forecast_within_kpi_range"].blocks
    assert "org_unit_id='R'" in failed["forecast_within_kpi_range"].message


def test_off_track_units_below_a_leaf_block(con):
    _status_marts(con, forecast=1.0, red_below_leaf=1)
    _, failed = _run(con, "marts.kpi_status")
    assert set(failed) == {"off_track_below_within_subtree"}
    assert "org_unit_id='A1'" in failed["off_track_below_within_subtree"].message
