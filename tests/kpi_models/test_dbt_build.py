"""`dbt build` end to end on a small hand-built company: every layer, the marts' shape,
the privacy rule inside the build, settings.csv, and a few KPIs worked out by hand.

One build serves most tests (dbt takes seconds, the machine is shared); the expected numbers
are derived in the comments from the rows below, not read back from the models.
"""

from __future__ import annotations

import re

import pytest

ORDERS = [
    # 2025-01: digital o1 (100, 2 days), phone o2 (300, 4 days), EDI o3 (200, 1 day),
    # a cancelled e-mail order o4 that counts nowhere.
    dict(order_id="o1", order_date="2025-01-10", confirmed_date="2025-01-12", customer_id="c1",
         org_unit_id="VT-IN", channel="Webshop", net_amount=100.0, status="open"),
    dict(order_id="o2", order_date="2025-01-11", confirmed_date="2025-01-15", customer_id="c2",
         org_unit_id="VT-IN", channel="Telefon", net_amount=300.0, status="delivered"),
    dict(order_id="o3", order_date="2025-01-12", confirmed_date="2025-01-13", customer_id="c1",
         org_unit_id="VT-EX", channel="EDI", net_amount=200.0, status="invoiced"),
    dict(order_id="o4", order_date="2025-01-13", confirmed_date="2025-01-14", customer_id="c3",
         org_unit_id="VT-EX", channel="E-Mail", net_amount=400.0, status="cancelled"),
    # 2025-02: one portal order, unconfirmed.
    dict(order_id="o5", order_date="2025-02-03", confirmed_date=None, customer_id="c1",
         org_unit_id="VT-IN", channel=" kunden-Portal", net_amount=100.0, status="open"),
]

SURVEY_QUESTIONS = [
    dict(question_id="E1", dimension="enps", text="Empfehlung", scale_min=0, scale_max=10,
         reverse_coded=False),
    dict(question_id="S1", dimension="strategy", text="Strategie klar", scale_min=1, scale_max=5,
         reverse_coded=False),
    dict(question_id="S2", dimension="Strategy", text="Strategie unklar", scale_min=1,
         scale_max=5, reverse_coded=True),
]

# eNPS answers per unit: VT-IN 6 respondents, VT-EX 2, PR-W1 5.
ENPS_ANSWERS = {
    "VT-IN": [10, 10, 9, 8, 5, 3],  # 3 promoters - 2 detractors = 1
    "VT-EX": [10, 0],  # 1 - 1 = 0
    "PR-W1": [9, 9, 9, 9, 9],  # 5
}


def survey_rows():
    rows, number = [], 0
    for unit, answers in ENPS_ANSWERS.items():
        for answer in answers:
            number += 1
            response = dict(response_id=f"r{number}", org_unit_id=unit, wave="2025-Q1",
                            submitted_at="2025-03-20 10:00:00")
            if number == 1:  # the wave's latest submission moves its month to April
                response["submitted_at"] = "2025-04-02 08:00:00"
            rows.append({**response, "question_id": "E1", "answer": float(answer)})
            # strategy: S1 = 4 (score 75), S2 = 2 reverse-coded -> 4 (score 75), for all
            rows.append({**response, "question_id": "S1", "answer": 4.0})
            rows.append({**response, "question_id": "S2", "answer": 2.0})
    return rows


EMPLOYEES = [
    dict(employee_id=f"e{i}", org_unit_id="PR-W2", role="Werker", entry_date="2020-01-01",
         exit_date="2025-03-20" if i == 5 else None)
    for i in range(1, 7)
]
LICENCES = [
    dict(employee_id=f"e{i}", tool="Teams", assigned_from="2024-01-01",
         assigned_until="2025-03-15" if i == 4 else None)
    for i in range(1, 7)
]
USAGE = [dict(employee_id=f"e{i}", tool=" TEAMS", activity_date="2025-03-03", events=2)
         for i in (1, 2, 3, 5)]

PROJECTS = [
    dict(project_id="p1", project_name="MES", org_unit_id="VT-IN", status_date="2025-03-05",
         budget_eur=1000.0, cost_to_date_eur=100.0, percent_complete=10.0),
    dict(project_id="p1", project_name="MES", org_unit_id="VT-IN", status_date="2025-03-28",
         budget_eur=1000.0, cost_to_date_eur=500.0, percent_complete=50.0),
    dict(project_id="p2", project_name="DMS", org_unit_id="VW-IT", status_date="2025-03-15",
         budget_eur=400.0, cost_to_date_eur=200.0, percent_complete=25.0),
]
MILESTONES = [
    dict(project_id="p1", milestone_id="m1", planned_date="2025-03-10", actual_date="2025-03-09"),
    dict(project_id="p1", milestone_id="m2", planned_date="2025-03-20", actual_date=None),
    dict(project_id="p2", milestone_id="m1", planned_date="2025-06-01", actual_date=None),
]

RAW = {
    "erp_orders": ORDERS,
    "survey_questions": SURVEY_QUESTIONS,
    "survey_responses": survey_rows(),
    "hr_employees": EMPLOYEES,
    "it_licenses": LICENCES,
    "it_usage": USAGE,
    "projects": PROJECTS,
    "project_milestones": MILESTONES,
    "kpi_targets": [
        dict(kpi_id="digital_order_share", org_unit_id="HAT", baseline_date="2025-01-01",
             baseline_value=0.5, target_date="2025-12-31", target_value=0.9, tolerance=0.05),
    ],
    "actions": [
        dict(action_id="A1", kpi_id="digital_order_share", org_unit_id="VT", title="Shop",
             owner="Vertriebsleitung", due_date="2025-01-31", status="offen"),
    ],
}


@pytest.fixture(scope="module")
def build(dbt_build_on):
    done = dbt_build_on(RAW, dbt_vars={"actions_reference_date": "2025-06-30"})
    assert done.returncode == 0, done.output[-4000:]
    # the unit tests run here (the pipeline's own build leaves them out): every one passed
    unit_tests = re.findall(r"\d+ of \d+ (PASS|FAIL|ERROR)\s+\S+::test_", done.output)
    assert len(unit_tests) >= 30 and set(unit_tests) == {"PASS"}, done.output[-4000:]
    return done


def kpi(build, kpi_id):
    rows = build.query(
        "select strftime(month, '%Y-%m'), org_unit_id, value, numerator, denominator,"
        " population, suppressed from marts.kpi_monthly where kpi_id = ? order by 1, 2",
        [kpi_id],
    )
    return {(month, unit): rest for month, unit, *rest in rows}


def test_marts_come_out_in_the_published_schemas(build):
    tables = build.query(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema = 'marts' order by 2"
    )
    assert [t for _, t in tables] == [
        "actions", "kpi_comments", "kpi_definitions", "kpi_monthly", "kpi_status",
        "kpi_targets", "maturity_by_dimension", "milestones", "org_units", "projects",
        "tool_adoption",
    ]
    columns = build.query(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'kpi_monthly' order by ordinal_position"
    )
    assert columns == [
        ("kpi_id", "VARCHAR"), ("month", "DATE"), ("org_unit_id", "VARCHAR"),
        ("value", "DOUBLE"), ("numerator", "DOUBLE"), ("denominator", "DOUBLE"),
        ("population", "INTEGER"), ("suppressed", "BOOLEAN"),
    ]


def test_digital_order_share_rolls_up_rows_and_skips_cancelled(build):
    cells = kpi(build, "digital_order_share")
    assert cells[("2025-01", "HAT")][:3] == [pytest.approx(2 / 3), 2.0, 3.0]
    assert cells[("2025-01", "VT-IN")][:3] == [0.5, 1.0, 2.0]
    assert cells[("2025-01", "VT-EX")][:3] == [1.0, 1.0, 1.0]
    assert cells[("2025-02", "VT-IN")][:3] == [1.0, 1.0, 1.0]
    assert ("2025-01", "PR") not in cells  # denominator 0: no row
    assert all(row[3] is None and row[4] is False for row in cells.values())


def test_order_kpis_revenue_lead_time_and_repeat_customers(build):
    assert kpi(build, "digital_revenue_share")[("2025-01", "HAT")][:3] == [0.5, 300.0, 600.0]
    lead_time = kpi(build, "order_lead_time_days")
    assert lead_time[("2025-01", "HAT")][:3] == [2.0, None, 3.0]  # median of 1, 2, 4
    assert lead_time[("2025-01", "VT-IN")][:3] == [3.0, None, 2.0]  # (2 + 4) / 2
    assert ("2025-02", "HAT") not in lead_time  # no confirmed order in February
    repeat = kpi(build, "repeat_customer_rate")
    assert repeat[("2025-02", "VT-IN")][:3] == [0.5, 1.0, 2.0]  # c1 twice, c2 once
    assert repeat[("2025-01", "HAT")][:3] == [0.5, 1.0, 2.0]  # c1 (o1, o3); c3 only cancelled


def test_enps_suppression_follows_the_no_differencing_rule(build):
    cells = kpi(build, "enps")
    assert set(month for month, _ in cells) == {"2025-04"}  # the wave's latest submission
    # VT-EX (2) is small; VT (8) would reveal it through VT-IN (6), so VT-IN goes too.
    assert cells[("2025-04", "VT-EX")] == [None, None, None, None, True]
    assert cells[("2025-04", "VT-IN")] == [None, None, None, None, True]
    assert cells[("2025-04", "VT")] == [12.5, 1.0, 8.0, 8, False]
    assert cells[("2025-04", "PR")] == [100.0, 5.0, 5.0, 5, False]
    assert cells[("2025-04", "HAT")] == [pytest.approx(600 / 13), 6.0, 13.0, 13, False]


def test_maturity_scores_reverse_coding_and_dimension_privacy(build):
    rows = build.query(
        "select org_unit_id, dimension, score, population, suppressed, month"
        " from marts.maturity_by_dimension order by org_unit_id"
    )
    by_unit = {unit: rest for unit, *rest in rows}
    assert by_unit["HAT"][:4] == ["strategy", 75.0, 13, False]
    assert by_unit["VT-EX"][1:4] == [None, None, True]
    index = kpi(build, "digital_maturity_index")
    assert index[("2025-04", "HAT")] == [75.0, None, 26.0, 13, False]


def test_tool_adoption_drops_ended_licences_and_leavers_and_suppresses_small_groups(build):
    cells = kpi(build, "tool_adoption_rate")
    # e4's licence ended mid-March, e5 left mid-March: 4 licences remain, 4 people < 5.
    assert set(cells) == {("2025-03", "HAT"), ("2025-03", "PR"), ("2025-03", "PR-W2")}
    assert all(row == [None, None, None, None, True] for row in cells.values())


def test_project_kpis_latest_report_and_as_of_date(build):
    cpi = kpi(build, "cost_performance_index")
    # p1's later March report (EV 500, AC 500) and p2 (EV 100, AC 200)
    assert cpi[("2025-03", "HAT")][:3] == [pytest.approx(600 / 700), 600.0, 700.0]
    on_time = kpi(build, "milestone_on_time_rate")
    assert on_time == {
        ("2025-03", "HAT"): [0.5, 1.0, 2.0, None, False],
        ("2025-03", "VT"): [0.5, 1.0, 2.0, None, False],
        ("2025-03", "VT-IN"): [0.5, 1.0, 2.0, None, False],
    }  # the June milestone lies after the as-of date 2025-03-28


def test_kpi_status_against_the_target_path(build):
    rows = build.query(
        "select org_unit_id, strftime(month, '%Y-%m'), value, expected_value, status, progress,"
        " trend_3m, strftime(data_as_of, '%Y-%m-%d') from marts.kpi_status"
        " where kpi_id = 'digital_order_share' order by 1"
    )
    status = {unit: rest for unit, *rest in rows}
    # February: 58 of 364 days on the path from 0.5 to 0.9
    expected = 0.5 + 0.4 * 58 / 364
    assert status["HAT"][:5] == ["2025-02", 1.0, pytest.approx(expected), "green",
                                 pytest.approx(1.25)]
    assert status["HAT"][5] is None  # only two published months
    assert status["HAT"][6] == "2025-02-03"
    assert status["VT-EX"][3] == "no_target"
    enps = build.query("select org_unit_id from marts.kpi_status where kpi_id = 'enps' order by 1")
    assert enps == [("HAT",), ("PR",), ("PR-W1",), ("VT",)]  # suppressed cells have no status


def test_actions_overdue_and_org_units(build):
    assert build.query("select action_id, overdue from marts.actions") == [("A1", True)]
    assert build.query(
        "select depth, path from marts.org_units where org_unit_id = 'VT-IN'"
    ) == [(2, "HAT/VT/VT-IN")]


def test_min_group_size_from_settings_changes_suppression(dbt_build_on):
    done = dbt_build_on({**RAW, "settings": [dict(key="min_group_size", value="3")]})
    assert done.returncode == 0, done.output[-4000:]
    cells = kpi(done, "tool_adoption_rate")
    assert cells[("2025-03", "PR-W2")] == [0.75, 3.0, 4.0, 4, False]


def test_min_group_size_below_three_fails_the_build(dbt_build_on):
    done = dbt_build_on({**RAW, "settings": [dict(key="min_group_size", value="2")]})
    assert done.returncode != 0
    assert "key min_group_size: value '2' is not allowed" in done.output
