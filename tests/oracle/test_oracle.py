"""The oracle against answers computed by hand on tiny raw layers."""

from __future__ import annotations

import math

import pandas as pd

from tests.oracle import expected_kpi_monthly, expected_kpi_status, expected_tool_adoption
from tests.oracle.conftest import ORG, frame
from tests.oracle.derivable import Cell, Relations, leaks
from tests.oracle.org import OrgTree
from tests.oracle.privacy import closed_suppression, linked_suppressed, suppressed_units


def order(order_id, unit, channel, amount, status="invoiced", day="2025-03-10",
          confirmed=None, customer="K1"):
    return {"order_id": order_id, "order_date": day, "confirmed_date": confirmed,
            "customer_id": customer, "org_unit_id": unit, "channel": channel,
            "net_amount": amount, "currency": "EUR", "status": status}


def cell(result: pd.DataFrame, kpi: str, unit: str, month: str) -> pd.Series:
    rows = result[(result.kpi_id == kpi) & (result.org_unit_id == unit)
                  & (result.month == pd.Timestamp(month))]
    assert len(rows) == 1, f"{kpi} {unit} {month}: {len(rows)} rows"
    return rows.iloc[0]


def test_cancelled_orders_count_nowhere(make_raw):
    raw = make_raw(erp_orders=[
        order("A1", "NORD", "Webshop", 100.0),
        order("A2", "NORD", "Telefon", 300.0),
        order("A3", "NORD", "Webshop", 999.0, status="cancelled"),
        order("A4", "SUED", "edi", 600.0),
    ])
    result = expected_kpi_monthly(raw)
    inland = cell(result, "digital_order_share", "NORD", "2025-03-01")
    assert (inland.numerator, inland.denominator) == (1, 2)
    parent = cell(result, "digital_order_share", "MARKT", "2025-03-01")
    assert (parent.numerator, parent.denominator, parent.value) == (2, 3, 2 / 3)
    revenue = cell(result, "digital_revenue_share", "MARKT", "2025-03-01")
    assert revenue.value == (100 + 600) / (100 + 300 + 600)
    assert pd.isna(parent.population) and not parent.suppressed


def test_a_configured_channel_for_every_source_overrides_the_built_in_map(make_raw):
    """channels.csv "extends and overrides": a `*` row making Fax digital beats the
    built-in Fax = not digital; an exact-source row beats the `*` row."""
    channel = {"channel": "x", "is_digital": True}
    raw = make_raw(
        erp_orders=[order("A1", "NORD", "Fax", 100.0), order("A2", "NORD", "Telefon", 100.0),
                    order("A3", "NORD", "Brief", 100.0)],
        channels=[{"source": "*", "raw_value": "FAX", **channel},
                  {"source": "*", "raw_value": "Brief", **channel},
                  {"source": "erp_orders", "raw_value": "brief", "channel": "Brief",
                   "is_digital": False}],
    )
    inland = cell(expected_kpi_monthly(raw), "digital_order_share", "NORD", "2025-03-01")
    assert (inland.numerator, inland.denominator) == (1, 3)


def test_lead_time_median_of_an_even_count_is_the_mean_of_the_middle_two(make_raw):
    raw = make_raw(erp_orders=[
        order("A1", "NORD", "Fax", 1.0, confirmed="2025-03-11"),   # 1 day
        order("A2", "NORD", "Fax", 1.0, confirmed="2025-03-12"),   # 2 days
        order("A3", "NORD", "Fax", 1.0, confirmed="2025-03-14"),   # 4 days
        order("A4", "NORD", "Fax", 1.0, confirmed="2025-03-17"),   # 7 days
        order("A5", "NORD", "Fax", 1.0, confirmed="2025-03-30", status="cancelled"),
        order("A6", "NORD", "Fax", 1.0),                           # not confirmed
    ])
    lead_time = cell(expected_kpi_monthly(raw), "order_lead_time_days", "NORD", "2025-03-01")
    assert lead_time.value == 3.0
    assert pd.isna(lead_time.numerator) and lead_time.denominator == 4


def _staff(count: int, unit: str, prefix: str, exit_date=None) -> list[dict]:
    return [{"employee_id": f"{prefix}{i}", "org_unit_id": unit, "role": "Sachbearbeiter",
             "entry_date": "2020-01-01", "exit_date": exit_date} for i in range(count)]


def test_licence_ending_mid_month_and_leaver_are_not_in_the_denominator(make_raw):
    staff = _staff(6, "NORD", "E") + _staff(1, "NORD", "L", exit_date="2025-03-20")
    licences = [{"employee_id": p["employee_id"], "tool": "CRM", "assigned_from": "2024-01-01",
                 "assigned_until": None} for p in staff]
    licences[0]["assigned_until"] = "2025-03-15"  # ends mid-month: not active on the 31st
    usage = [{"employee_id": e, "tool": "crm ", "activity_date": "2025-03-05", "events": 1}
             for e in ("E0", "E1", "E2", "L0")]
    raw = make_raw(hr_employees=staff, it_licenses=licences, it_usage=usage)
    adoption = cell(expected_kpi_monthly(raw), "tool_adoption_rate", "NORD", "2025-03-01")
    # Licences on 31 March held by people still employed: E1..E5; used: E1, E2.
    assert (adoption.numerator, adoption.denominator, adoption.population) == (2, 5, 5)


def test_training_coverage_needs_every_required_course_by_month_end(make_raw):
    staff = _staff(5, "NORD", "E")
    staff[4]["role"] = "Vertrieb"
    requirements = [{"role": "*", "course_id": "DS"}, {"role": "vertrieb", "course_id": "CRM"}]
    done = [{"employee_id": f"E{i}", "course_id": "DS", "status": "completed",
             "completed_date": "2025-03-03"} for i in range(5)]
    done[3]["completed_date"] = "2025-04-02"  # too late for March
    done.append({"employee_id": "E4", "course_id": "CRM", "status": "enrolled",
                 "completed_date": None})
    raw = make_raw(hr_employees=staff, training_requirements=requirements, lms_trainings=done)
    result = expected_kpi_monthly(raw)
    march = cell(result, "training_coverage", "NORD", "2025-03-01")
    april = cell(result, "training_coverage", "NORD", "2025-04-01")
    assert (march.numerator, march.denominator) == (3, 5)  # E3 late, E4 lacks CRM
    assert (april.numerator, april.denominator) == (4, 5)


def test_reverse_coded_items_are_flipped_before_scoring(make_raw):
    questions = [
        {"question_id": "Q1", "dimension": "strategy", "text": "t", "scale_min": 1,
         "scale_max": 5, "reverse_coded": False},
        {"question_id": "Q2", "dimension": "strategy", "text": "t", "scale_min": 1,
         "scale_max": 5, "reverse_coded": True},
        {"question_id": "Q3", "dimension": "processes", "text": "t", "scale_min": 1,
         "scale_max": 5, "reverse_coded": False},
        {"question_id": "Q4", "dimension": "acceptance", "text": "t", "scale_min": 1,
         "scale_max": 5, "reverse_coded": True},
        {"question_id": "Q5", "dimension": "enps", "text": "t", "scale_min": 0,
         "scale_max": 10, "reverse_coded": False},
    ]
    answers = []
    for r in range(5):
        for question_id, value in (("Q1", 5), ("Q2", 2), ("Q3", 1), ("Q4", 1 + r % 2),
                                   ("Q5", [10, 9, 7, 3, 6][r])):
            answers.append({"response_id": str(r), "submitted_at": f"2025-03-1{r} 10:00",
                            "org_unit_id": "NORD", "wave": "2025-Q1",
                            "question_id": question_id, "answer": value})
    raw = make_raw(survey_questions=questions, survey_responses=answers)
    result = expected_kpi_monthly(raw)
    maturity = cell(result, "digital_maturity_index", "NORD", "2025-03-01")
    # strategy: Q1 5 -> 100, Q2 2 flipped to 4 -> 75: 87.5; processes: Q3 1 -> 0.
    assert maturity.value == (87.5 + 0.0) / 2 and maturity.denominator == 15
    acceptance = cell(result, "acceptance_rate", "NORD", "2025-03-01")
    # Q4 answers 1, 2 flipped to 5, 4: all >= scale_max - 1.
    assert acceptance.value == 1.0 and acceptance.population == 5
    enps = cell(result, "enps", "NORD", "2025-03-01")
    assert (enps.numerator, enps.denominator, enps.value) == (0, 5, 0.0)  # 2 promoters, 2 detr.


def test_secondary_suppression_removes_the_smallest_sibling():
    tree = OrgTree(frame("org_units", [dict(zip(("org_unit_id", "name", "parent_id"), o,
                                                strict=True)) for o in ORG]))
    hr, it, fi = ({f"{u}{i}" for i in range(n)} for u, n in (("h", 6), ("i", 7), ("f", 4)))
    people = {"HR": hr, "EDV": it, "FIBU": fi, "ZENTRALE": hr | it | fi, "FIRMA": hr | it | fi}
    assert suppressed_units(people, tree, 5) == {"FIBU", "HR"}
    # With a min group size of 3, FIBU is published and nothing else has to go.
    assert suppressed_units(people, tree, 3) == set()


def test_suppressed_cells_hide_their_numbers(make_raw):
    staff = _staff(6, "HR", "H") + _staff(7, "EDV", "I") + _staff(4, "FIBU", "F")
    licences = [{"employee_id": p["employee_id"], "tool": "DMS",
                 "assigned_from": "2024-01-01", "assigned_until": None} for p in staff]
    usage = [{"employee_id": "H0", "tool": "DMS", "activity_date": "2025-03-05", "events": 2}]
    result = expected_kpi_monthly(make_raw(hr_employees=staff, it_licenses=licences,
                                           it_usage=usage))
    for unit in ("FIBU", "HR"):
        hidden = cell(result, "tool_adoption_rate", unit, "2025-03-01")
        assert hidden.suppressed and pd.isna(hidden.value) and pd.isna(hidden.population)
    shown = cell(result, "tool_adoption_rate", "ZENTRALE", "2025-03-01")
    assert not shown.suppressed and shown.population == 17 and shown.value == 1 / 17


def test_status_with_baseline_equal_to_target(make_raw):
    reports = [{"project_id": "P1", "project_name": "x", "org_unit_id": "NORD",
                "project_type": "pilot", "status_date": f"2025-0{m}-28", "budget_eur": 1000.0,
                "cost_to_date_eur": 100.0 * m, "percent_complete": p}
               for m, p in ((1, 9.0), (2, 20.0), (3, 33.0))]
    targets = [{"kpi_id": "cost_performance_index", "org_unit_id": "NORD",
                "baseline_date": "2024-12-31", "baseline_value": 1.0,
                "target_date": "2025-12-31", "target_value": 1.0, "tolerance": 0.05}]
    status = expected_kpi_status(make_raw(projects=reports, kpi_targets=targets))
    row = status[(status.kpi_id == "cost_performance_index")
                 & (status.org_unit_id == "NORD")].iloc[0]
    # CPI per month: 90/100 = 0.9, 200/200 = 1.0, 330/300 = 1.1 -> slope 0.1 per month.
    assert math.isclose(row.value, 1.1) and row.expected_value == 1.0
    assert row.status == "green" and pd.isna(row.progress)
    assert math.isclose(row.trend_3m, 0.1)
    assert math.isclose(row.forecast_at_target_date, 1.1 + 0.1 * 9)
    parent = status[(status.kpi_id == "cost_performance_index") & (status.org_unit_id == "MARKT")]
    assert parent.status.iloc[0] == "no_target" and pd.isna(parent.target_date.iloc[0])


def test_status_of_a_down_kpi_on_its_target_path(make_raw):
    orders = [order(f"A{m}{i}", "NORD", "Fax", 1.0, day=f"2025-{m:02d}-03",
                    confirmed=f"2025-{m:02d}-{3 + d:02d}")
              for m, d in ((5, 4), (6, 3), (7, 2)) for i in range(2)]
    targets = [{"kpi_id": "order_lead_time_days", "org_unit_id": "NORD",
                "baseline_date": "2025-01-31", "baseline_value": 5.0,
                "target_date": "2025-11-30", "target_value": 1.0, "tolerance": 0.5}]
    status = expected_kpi_status(make_raw(erp_orders=orders, kpi_targets=targets))
    row = status[(status.kpi_id == "order_lead_time_days")
                 & (status.org_unit_id == "NORD")].iloc[0]
    # End of July is 181 of 303 days along the path: expected 5 - 4 * 181/303.
    expected = 5 - 4 * 181 / 303
    assert math.isclose(row.expected_value, expected)
    assert row.status == ("green" if expected - 2.0 >= 0 else "amber")
    assert math.isclose(row.progress, (2.0 - 5.0) / (1.0 - 5.0))
    assert math.isclose(row.trend_3m, -1.0)
    assert row.data_as_of == pd.Timestamp("2025-07-03")


def test_a_tool_hidden_beside_its_published_total_takes_another_tool_with_it(make_raw):
    """docs/kpis.md, linked tables: FIBU's total (4) is hidden, and so HR's is; ZENTRALE's
    total is published. ERP is held in ZENTRALE by FIBU's 4 alone, so ZENTRALE's ERP cell is hidden
    (the tree rule per tool), and beside ZENTRALE's published total it must not stand alone."""
    staff = _staff(6, "HR", "H") + _staff(7, "EDV", "I") + _staff(4, "FIBU", "F")
    licences = [{"employee_id": p["employee_id"], "tool": "Teams", "assigned_from": "2024-01-01",
                 "assigned_until": None} for p in staff]
    licences += [{"employee_id": p["employee_id"], "tool": "ERP", "assigned_from": "2024-01-01",
                  "assigned_until": None} for p in staff if p["org_unit_id"] == "FIBU"]
    usage = [{"employee_id": "H0", "tool": "Teams", "activity_date": "2025-03-05", "events": 1}]
    raw = make_raw(hr_employees=staff, it_licenses=licences, it_usage=usage)
    tools = expected_tool_adoption(raw)
    vw = tools[(tools.org_unit_id == "ZENTRALE") & (tools.month == pd.Timestamp("2025-03-01"))]
    assert set(vw.tool[vw.suppressed]) == {"ERP", "Teams"}
    total = cell(expected_kpi_monthly(raw), "tool_adoption_rate", "ZENTRALE", "2025-03-01")
    assert not total.suppressed  # a total is never hidden because of its breakdown


def test_the_closing_audit_hides_what_the_rules_alone_leave_computable():
    """Two children under a root without people of its own; tools erp, crm, dms."""
    tree = OrgTree(frame("org_units", [{"org_unit_id": u, "name": u, "parent_id": p}
                                       for u, p in (("R", None), ("C1", "R"), ("C2", "R"))]))
    sizes = {("C1", "erp"): 2, ("C1", "crm"): 10, ("C1", "dms"): 5,
             ("C2", "erp"): 6, ("C2", "crm"): 6, ("C2", "dms"): 7}
    parts: dict[str, dict[str, set]] = {}
    for (unit, tool), n in sizes.items():
        persons = {f"{unit}{tool}{i}" for i in range(n)}
        parts.setdefault(tool, {}).setdefault(unit, set()).update(persons)
        parts[tool].setdefault("R", set()).update(persons)
    total = {u: set().union(*(cells[u] for cells in parts.values() if u in cells))
             for u in ("R", "C1", "C2")}

    def computable(hidden):
        relations = Relations(tree)
        relations.add_group("total", {u: Cell(p, False) for u, p in total.items()})
        for tool, cells in parts.items():
            relations.add_group(tool, {u: Cell(p, u in hidden[tool]) for u, p in cells.items()})
        relations.link("total", list(parts))
        return leaks(relations, 5)

    alone = linked_suppressed(parts, set(), tree, 5)
    assert (("erp", "C1"), 2) in computable(alone)
    closed = closed_suppression(total, set(), parts, tree, 5, additive_total=True, mean=False)
    assert computable(closed) == []
    assert all(alone[tool] <= closed[tool] for tool in parts)


def _enps_wave(unit: str, wave: str, day: str, answers: list[int], first: int) -> list[dict]:
    return [{"response_id": f"{unit}-{first + i}", "submitted_at": f"{day} 10:00",
             "org_unit_id": unit, "wave": wave, "question_id": "N1", "answer": a}
            for i, a in enumerate(answers)]


def test_trend_is_per_month_forecast_clamped_and_off_track_units_below_counted(make_raw):
    """Three eNPS waves six months apart rising 40 -> 60 -> 80: 20 points per wave are
    20 / 6 points a month. A year ahead that gives 120, which the scale caps at 100. MARKT
    (red) and NORD (amber) are off track below FIRMA; NORD is below MARKT, MARKT not below
    itself."""
    question = [{"question_id": "N1", "dimension": "enps", "text": "t", "scale_min": 0,
                 "scale_max": 10, "reverse_coded": False}]
    answers = (_enps_wave("NORD", "2025-Q1", "2025-03-10", [10, 10, 7, 7, 7], 0)
               + _enps_wave("NORD", "2025-Q3", "2025-09-10", [10, 10, 10, 7, 7], 10)
               + _enps_wave("NORD", "2026-Q1", "2026-03-10", [10, 10, 10, 10, 7], 20))
    target = {"kpi_id": "enps", "baseline_date": "2025-03-31", "target_date": "2027-03-31"}
    targets = [target | {"org_unit_id": "NORD", "baseline_value": 80.0, "target_value": 90.0,
                         "tolerance": 10.0},
               target | {"org_unit_id": "MARKT", "baseline_value": 90.0, "target_value": 100.0,
                         "tolerance": 5.0}]
    status = expected_kpi_status(make_raw(survey_questions=question, survey_responses=answers,
                                          kpi_targets=targets)).set_index("org_unit_id")
    inland = status.loc["NORD"]
    assert inland.value == 80.0 and math.isclose(inland.trend_3m, 20 / 6)
    assert inland.status == "amber"  # expected 85 halfway along, gap -5 within 10
    assert inland.forecast_at_target_date == 100.0  # 80 + 12 x 20/6 = 120, capped
    assert status.loc["MARKT"].status == "red"  # expected 95, gap -15
    assert (status.loc["FIRMA", "red_below"], status.loc["FIRMA", "amber_below"]) == (1, 1)
    assert (status.loc["MARKT", "red_below"], status.loc["MARKT", "amber_below"]) == (0, 1)
    assert (status.loc["NORD", "red_below"], status.loc["NORD", "amber_below"]) == (0, 0)


def test_a_forecast_below_zero_is_clamped_to_zero(make_raw):
    orders = [order(f"A{m}", "NORD", "Fax", 1.0, day=f"2025-{m:02d}-03",
                    confirmed=f"2025-{m:02d}-{3 + d:02d}")
              for m, d in ((5, 6), (6, 4), (7, 2))]
    targets = [{"kpi_id": "order_lead_time_days", "org_unit_id": "NORD",
                "baseline_date": "2025-01-31", "baseline_value": 5.0,
                "target_date": "2025-12-31", "target_value": 1.0, "tolerance": 0.5}]
    status = expected_kpi_status(make_raw(erp_orders=orders, kpi_targets=targets))
    row = status[(status.kpi_id == "order_lead_time_days")
                 & (status.org_unit_id == "NORD")].iloc[0]
    assert row.trend_3m == -2.0 and row.forecast_at_target_date == 0.0  # 2 - 2 x 5 = -8


def test_milestone_on_time_rate_is_a_rolling_quarter(make_raw):
    report = {"project_id": "P1", "project_name": "x", "org_unit_id": "NORD",
              "project_type": "pilot", "status_date": "2025-06-30", "budget_eur": 1.0,
              "cost_to_date_eur": 1.0, "percent_complete": 50.0}
    milestones = [
        {"project_id": "P1", "milestone_id": "M1", "milestone_name": "a",
         "planned_date": "2025-01-15", "actual_date": "2025-01-14"},
        {"project_id": "P1", "milestone_id": "M2", "milestone_name": "b",
         "planned_date": "2025-02-10", "actual_date": "2025-02-20"},
        {"project_id": "P1", "milestone_id": "M3", "milestone_name": "c",
         "planned_date": "2025-04-30", "actual_date": "2025-04-30"},
    ]
    result = expected_kpi_monthly(make_raw(projects=[report], project_milestones=milestones))
    rate = result[(result.kpi_id == "milestone_on_time_rate") & (result.org_unit_id == "NORD")]
    got = {m.strftime("%Y-%m"): (n, d) for m, n, d in
           zip(rate.month, rate.numerator, rate.denominator, strict=True)}
    # Jan: M1; Feb: M1, M2; Mar: M1, M2; Apr: M2, M3 (M1 has left); nothing after April
    assert got == {"2025-01": (1, 1), "2025-02": (1, 2), "2025-03": (1, 2), "2025-04": (1, 2)}


def test_status_uses_the_target_row_in_force_for_the_as_of_month(make_raw):
    reports = [{"project_id": "P1", "project_name": "x", "org_unit_id": "NORD",
                "project_type": "pilot", "status_date": f"2025-0{m}-28", "budget_eur": 1000.0,
                "cost_to_date_eur": 100.0 * m, "percent_complete": p}
               for m, p in ((1, 9.0), (2, 20.0), (3, 33.0))]
    path = {"kpi_id": "cost_performance_index", "org_unit_id": "NORD",
            "baseline_date": "2024-12-31", "target_date": "2025-12-31", "tolerance": 0.05}
    targets = [
        {**path, "baseline_value": 1.0, "target_value": 1.0},  # since the beginning
        {**path, "baseline_value": 1.3, "target_value": 1.3, "valid_from": "2025-03-31",
         "reason": "Budget erhöht"},  # in force from the last day of the as-of month
        {**path, "baseline_value": 0.5, "target_value": 0.5, "valid_from": "2025-04-01"},
    ]
    raw = make_raw(projects=reports)
    # the revision columns are optional in kpi_targets.csv: the sample's raw layer lacks them
    raw["kpi_targets"] = pd.DataFrame(targets).astype({"tolerance": float}).assign(**{
        c: lambda f, c=c: pd.to_datetime(f[c]) for c in ("baseline_date", "target_date",
                                                         "valid_from")})
    status = expected_kpi_status(raw)
    row = status[(status.kpi_id == "cost_performance_index")
                 & (status.org_unit_id == "NORD")].iloc[0]
    assert row.month == pd.Timestamp("2025-03-01")
    assert row.expected_value == 1.3 and row.target_value == 1.3 and row.status == "red"
