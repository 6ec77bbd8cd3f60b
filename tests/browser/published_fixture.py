"""A small published database for developing and testing the dashboards without a pipeline run.

It has the published schema of docs/kpis.md (plus `marts.projects` / `marts.milestones`) and a
few plausible rows for a company on the generator's second org tree (not the shipped sample),
including suppressed cells, red and amber KPIs, an overdue measure and quarantined rows, so
that every page has something to show. The values are generated, not planted truths: tests
read them back from the file, never hard-code them.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb

from dagster_project.sample.org import SECOND_TREE

TREE = SECOND_TREE
ORG_UNITS = list(TREE.units)
# kpi_id, name_de, name_en, unit, direction, source, start value, monthly drift, people-KPI
KPIS = [
    ("digital_order_share", "Digitaler Bestellanteil", "Digital order share", "share", "up",
     "erp_orders", 0.28, 0.006, False),
    ("digital_revenue_share", "Digitaler Umsatzanteil", "Digital revenue share", "share", "up",
     "erp_orders", 0.22, 0.005, False),
    ("order_lead_time_days", "Auftragsbestätigungszeit", "Order confirmation time", "days", "down",
     "erp_orders", 3.5, -0.05, False),
    ("tool_adoption_rate", "Tool-Nutzung", "Tool adoption", "share", "up",
     "it_licenses, it_usage, hr_employees", 0.55, 0.01, True),
    ("training_coverage", "Schulungsabdeckung", "Training coverage", "share", "up",
     "lms_trainings, hr_employees, training_requirements", 0.40, 0.012, True),
    ("acceptance_rate", "Akzeptanz", "Acceptance", "share", "up", "survey", 0.6, 0.004, True),
    ("enps", "eNPS", "eNPS", "score", "up", "survey", 5.0, 0.5, True),
    ("cost_performance_index", "Kostenentwicklungsindex (CPI)", "Cost performance index",
     "ratio", "up", "projects", 0.97, -0.002, False),
]

DIMENSIONS = ["it_infrastructure", "organisation", "processes", "strategy", "innovation",
              "collaboration"]
MONTHS = [dt.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]
# fewer than five people: their people-KPI cells are suppressed
SMALL_UNITS = {TREE.id("VW-FI"), TREE.id("VW-IT")}
RANGES = {"share": (0.0, 1.0), "days": (0.0, None), "score": (-100.0, 100.0),
          "index": (0.0, 100.0), "ratio": (0.0, None)}


def _children(unit: str) -> list[str]:
    return [u for u, _, parent in ORG_UNITS if parent == unit]


def _depth_and_path(unit: str) -> tuple[int, str]:
    parents = {u: p for u, _, p in ORG_UNITS}
    chain = [unit]
    while parents[chain[-1]] is not None:
        chain.append(parents[chain[-1]])
    return len(chain) - 1, "/".join(reversed(chain))


def write_published_fixture(path: Path, seed: int = 7) -> Path:
    """Write a published-schema DuckDB file at `path` and return the path."""
    rnd = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        for schema in ("marts", "dq", "meta"):
            con.execute(f"create schema if not exists {schema}")
        _org_units(con)
        _kpis(con, rnd)
        _maturity(con, rnd)
        _tool_adoption(con, rnd)
        _actions(con)
        _projects(con, rnd)
        _quality(con)
    finally:
        con.close()
    return path


def _org_units(con) -> None:
    con.execute("create table marts.org_units (org_unit_id varchar, name varchar,"
                " parent_id varchar, depth integer, path varchar)")
    for unit, name, parent in ORG_UNITS:
        depth, unit_path = _depth_and_path(unit)
        con.execute("insert into marts.org_units values (?, ?, ?, ?, ?)",
                    [unit, name, parent, depth, unit_path])


def _kpis(con, rnd: random.Random) -> None:
    con.execute("create table marts.kpi_definitions (kpi_id varchar, name_de varchar,"
                " name_en varchar, unit varchar, direction varchar, source varchar,"
                " description varchar, description_de varchar, min_value double,"
                " max_value double)")
    con.execute("create table marts.kpi_monthly (kpi_id varchar, month date,"
                " org_unit_id varchar, value double, numerator double, denominator double,"
                " population integer, suppressed boolean)")
    con.execute("create table marts.kpi_status (kpi_id varchar, org_unit_id varchar,"
                " month date, value double, baseline_value double, target_value double,"
                " expected_value double, tolerance double, status varchar, progress double,"
                " trend_3m double, forecast_at_target_date double, target_date date,"
                " data_as_of date, red_below integer, amber_below integer)")
    for kpi_id, name_de, name_en, unit, direction, source, start, drift, people in KPIS:
        con.execute("insert into marts.kpi_definitions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [kpi_id, name_de, name_en, unit, direction, source,
                     f"{name_en}: a KPI from {source}, per month and org unit.",
                     f"{name_de}: Kennzahl aus {source}, je Monat und Organisationseinheit.",
                     *RANGES[unit]])
        for unit_id, _, _ in ORG_UNITS:
            offset = rnd.uniform(-0.3, 0.3) * abs(start)
            series = []
            for i, month in enumerate(MONTHS):
                value = start + offset + drift * i + rnd.uniform(-0.02, 0.02) * abs(start)
                population = rnd.randint(3, 4) if unit_id in SMALL_UNITS else rnd.randint(8, 300)
                suppressed = people and unit_id in SMALL_UNITS
                denominator = float(population if people else rnd.randint(40, 900))
                row = [kpi_id, month, unit_id, None if suppressed else value,
                       None if suppressed else round(value * denominator, 2),
                       None if suppressed else denominator,
                       None if suppressed or not people else population, suppressed]
                con.execute("insert into marts.kpi_monthly values (?, ?, ?, ?, ?, ?, ?, ?)", row)
                if not suppressed:
                    series.append((month, value))
            if series:
                _status_row(con, kpi_id, unit_id, direction, unit, series, rnd)
    _count_below(con)
    _targets_and_comments(con)


def _targets_and_comments(con) -> None:
    """marts.kpi_targets: the path of each status row with a target (one row each, in force
    since the beginning), and an empty marts.kpi_comments (tests plant their own)."""
    con.execute("create table marts.kpi_targets (kpi_id varchar, org_unit_id varchar,"
                " valid_from date, valid_to date, baseline_date date, baseline_value double,"
                " target_date date, target_value double, tolerance double, reason varchar)")
    con.execute("insert into marts.kpi_targets select kpi_id, org_unit_id, null, null,"
                " date '2024-12-31', baseline_value, target_date, target_value, tolerance, null"
                " from marts.kpi_status where status <> 'no_target'")
    con.execute("create table marts.kpi_comments (kpi_id varchar, org_unit_id varchar,"
                " month date, author varchar, comment varchar, created_at date)")


def _status_row(con, kpi_id, unit_id, direction, unit, series, rnd) -> None:
    month, value = series[-1]
    last3 = [v for _, v in series[-3:]]
    trend = (last3[2] - last3[0]) / 2
    has_target = unit_id not in {TREE.id("VT-SV"), TREE.id("EK")}
    if has_target:
        baseline = series[0][1]
        target = baseline * (1.5 if direction == "up" else 0.6) * rnd.uniform(0.8, 1.2)
        baseline_date, target_date = dt.date(2024, 12, 31), dt.date(2027, 12, 31)
        end_of_month = dt.date(2026, 10, 31)
        share = (end_of_month - baseline_date).days / (target_date - baseline_date).days
        expected = baseline + (target - baseline) * share
        tolerance = abs(target - baseline) * 0.1
        gap = value - expected if direction == "up" else expected - value
        status = "green" if gap >= 0 else "amber" if gap >= -tolerance else "red"
        progress = (value - baseline) / (target - baseline)
        low, high = RANGES[unit]
        forecast = max(low, value + trend * 14)
        forecast = forecast if high is None else min(high, forecast)
        con.execute("insert into marts.kpi_status values"
                    " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
                    [kpi_id, unit_id, month, value, baseline, target, expected, tolerance,
                     status, progress, trend, forecast, target_date, dt.date(2026, 10, 31)])
    else:
        con.execute("insert into marts.kpi_status values (?, ?, ?, ?, null, null, null, null,"
                    " 'no_target', null, ?, null, null, ?, 0, 0)",
                    [kpi_id, unit_id, month, value, trend, dt.date(2026, 10, 31)])


def _count_below(con) -> None:
    """red_below / amber_below from the statuses of the units strictly below each unit."""
    con.execute("""
        update marts.kpi_status as s set
            red_below = (select count(*) from marts.kpi_status b join marts.org_units u
                         on u.org_unit_id = b.org_unit_id join marts.org_units a
                         on a.org_unit_id = s.org_unit_id
                         where b.kpi_id = s.kpi_id and b.status = 'red'
                         and starts_with(u.path, a.path || '/')),
            amber_below = (select count(*) from marts.kpi_status b join marts.org_units u
                           on u.org_unit_id = b.org_unit_id join marts.org_units a
                           on a.org_unit_id = s.org_unit_id
                           where b.kpi_id = s.kpi_id and b.status = 'amber'
                           and starts_with(u.path, a.path || '/'))
    """)


def _maturity(con, rnd: random.Random) -> None:
    con.execute("create table marts.maturity_by_dimension (wave varchar, month date,"
                " org_unit_id varchar, dimension varchar, score double, population integer,"
                " suppressed boolean)")
    waves = [("2025-Q1", dt.date(2025, 3, 1)), ("2025-Q3", dt.date(2025, 9, 1)),
             ("2026-Q1", dt.date(2026, 3, 1)), ("2026-Q3", dt.date(2026, 9, 1))]
    for w, (wave, month) in enumerate(waves):
        for unit_id, _, _ in ORG_UNITS:
            for d, dimension in enumerate(DIMENSIONS):
                suppressed = unit_id in SMALL_UNITS
                score = 35 + 6 * w + 3 * d + rnd.uniform(-5, 5)
                con.execute("insert into marts.maturity_by_dimension values (?, ?, ?, ?, ?, ?, ?)",
                            [wave, month, unit_id, dimension, None if suppressed else score,
                             None if suppressed else rnd.randint(6, 250), suppressed])


def _tool_adoption(con, rnd: random.Random) -> None:
    con.execute("create table marts.tool_adoption (month date, org_unit_id varchar, tool varchar,"
                " value double, numerator double, denominator double, population integer,"
                " suppressed boolean)")
    for unit_id, _, _ in ORG_UNITS:
        for tool in ("Microsoft Teams", "SAP Fiori", "Salesforce"):
            suppressed = unit_id in SMALL_UNITS
            population = rnd.randint(6, 120)
            used = rnd.randint(1, population)
            con.execute("insert into marts.tool_adoption values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [MONTHS[-1], unit_id, tool, None if suppressed else used / population,
                         None if suppressed else used, None if suppressed else population,
                         None if suppressed else population, suppressed])


def _actions(con) -> None:
    con.execute("create table marts.actions (action_id varchar, kpi_id varchar,"
                " org_unit_id varchar, title varchar, owner varchar, due_date date,"
                " status varchar, overdue boolean)")
    rows = con.execute("select kpi_id, org_unit_id, status from marts.kpi_status"
                       " where status in ('red', 'amber') order by kpi_id, org_unit_id").fetchall()
    for i, (kpi_id, unit_id, _) in enumerate(rows):
        if i % 3 == 2:
            continue  # a red or amber cell without a measure
        due = dt.date(2026, 9, 30) if i % 3 == 0 else dt.date(2027, 3, 31)
        con.execute("insert into marts.actions values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [f"A{i + 1:03d}", kpi_id, unit_id, f"Maßnahme {i + 1} zu {kpi_id}",
                     "Bereichsleitung", due, "open" if i % 4 else "in_progress",
                     due < dt.date(2026, 11, 22)])


def _projects(con, rnd: random.Random) -> None:
    con.execute("create table marts.projects (project_id varchar, project_name varchar,"
                " org_unit_id varchar, project_type varchar, status_date date,"
                " budget_eur double, cost_to_date_eur double, percent_complete double,"
                " cpi double, eac_eur double)")
    con.execute("create table marts.milestones (project_id varchar, milestone_id varchar,"
                " milestone_name varchar, planned_date date, actual_date date, status varchar)")
    projects = [("P-101", "Webshop B2B", TREE.id("VT-IN"), "rollout"),
                ("P-102", "EDI-Anbindung", TREE.id("VT-EX"), "pilot"),
                ("P-201", f"MES {TREE.name('PR-W1')}", TREE.id("PR-W1"), "rollout"),
                ("P-301", "E-Rechnung", TREE.id("VW-FI"), "rollout")]
    for pid, name, unit_id, kind in projects:
        budget = rnd.randint(80, 900) * 1000.0
        done = rnd.uniform(20, 90)
        cost = budget * done / 100 * rnd.uniform(0.85, 1.25)
        cpi = (done / 100 * budget) / cost
        con.execute("insert into marts.projects values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [pid, name, unit_id, kind, dt.date(2026, 10, 31), budget, cost, done, cpi,
                     budget / cpi])
        for m in range(1, 4):
            planned = dt.date(2026, 3 * m, 15)
            actual = planned + dt.timedelta(days=rnd.choice([-3, 0, 12])) if m < 3 else None
            status = ("open" if planned > dt.date(2026, 10, 31) else "overdue") if actual is None \
                else ("done_on_time" if actual <= planned else "done_late")
            con.execute("insert into marts.milestones values (?, ?, ?, ?, ?, ?)",
                        [pid, f"M{m}", f"Meilenstein {m}", planned, actual, status])


def _quality(con) -> None:
    con.execute("create table dq.quarantine (source varchar, file_name varchar,"
                " row_number bigint, column_name varchar, reason varchar, raw_value varchar)")
    con.execute("insert into dq.quarantine values"
                " ('erp_orders', 'orders_2026-10-31.csv', 17, 'order_date',"
                "  'unparsable date ''31.13.2026''', '31.13.2026'),"
                " ('erp_orders', 'orders_2026-10-31.csv', 204, 'currency',"
                "  'currency ''USD'' is not EUR', 'USD'),"
                " ('crm_leads', 'leads_2026-09-30.xlsx', 8, 'org_unit',"
                "  'unknown org unit ''Vertrieb Mitte'' (known: see config/org_units.csv)',"
                "  'Vertrieb Mitte')")
    con.execute("create table dq.gate_results (run_id varchar, check_name varchar,"
                " source_or_table varchar, severity varchar, passed boolean, observed varchar,"
                " threshold varchar, message varchar)")
    con.execute("insert into dq.gate_results values"
                " ('run-1', 'quarantine_share', 'erp_orders', 'error', true,"
                "  '2 of 1000 rows (0.2 %)', '≤ 1 %', '2 of 1000 rows quarantined'),"
                " ('run-1', 'channels_mapped', 'crm_interactions', 'error', true, '0', '0',"
                "  'all channels mapped'),"
                " ('run-1', 'freshness', 'erp_orders', 'warn', true,"
                "  'newest order_date 2026-10-30 (23 days old)', '≤ 45 days old',"
                "  'erp_orders: newest order_date 2026-10-30 (23 days old)')")
    con.execute("create table meta.publication (run_id varchar, published_at timestamp,"
                " sources_hash varchar, files_loaded integer, rows_loaded bigint,"
                " rows_quarantined bigint)")
    con.execute("insert into meta.publication values"
                " ('run-1', timestamp '2026-11-22 06:15:00', 'abc123', 42, 123456, 3)")


if __name__ == "__main__":
    import sys

    print(write_published_fixture(Path(sys.argv[1])))
