"""`marts.kpi_monthly` and `marts.maturity_by_dimension`, computed the long way round.

One function per KPI returns its cells before privacy: kpi_id, month, org_unit_id, value,
numerator, denominator and, for KPIs about people, the set of people in the denominator.
A unit's cell is computed from the rows of its whole subtree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .channels import ChannelMap
from .org import OrgTree
from .privacy import closed_suppression, suppressed_units

PEOPLE_KPIS = {"tool_adoption_rate", "training_coverage", "digital_maturity_index",
               "acceptance_rate", "enps"}
MATURITY_DIMENSIONS = ["it_infrastructure", "organisation", "processes", "strategy",
                       "innovation", "collaboration"]
COLUMNS = ["kpi_id", "month", "org_unit_id", "value", "numerator", "denominator",
           "population", "suppressed"]


def _month(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period("M").dt.to_timestamp()


def _month_range(dates: pd.Series) -> list[pd.Timestamp]:
    months = _month(dates.dropna())
    if months.empty:
        return []
    return list(pd.date_range(months.min(), months.max(), freq="MS"))


def _month_end(month: pd.Timestamp) -> pd.Timestamp:
    return month + pd.offsets.MonthEnd(0)


def _norm(values: pd.Series) -> pd.Series:
    """Case-insensitive, trimmed comparison form of text."""
    return values.astype("str").str.strip().str.lower()


def _cell(kpi, month, unit, value, numerator, denominator, people=None) -> dict:
    return {"kpi_id": kpi, "month": month, "org_unit_id": unit, "value": float(value),
            "numerator": None if numerator is None else float(numerator),
            "denominator": float(denominator), "people": people}


def _per_unit(tree: OrgTree, frame: pd.DataFrame):
    """(unit, rows of the unit's subtree) for every unit with rows."""
    for unit in tree.units:
        rows = frame[frame.org_unit_id.isin(tree.subtree(unit))]
        if len(rows):
            yield unit, rows


# ----------------------------------------------------------------------------- orders

def _orders_not_cancelled(raw: dict, channels: ChannelMap) -> pd.DataFrame:
    orders = raw["erp_orders"]
    orders = orders[_norm(orders.status) != "cancelled"].copy()
    orders["month"] = _month(orders.order_date)
    orders["digital"] = channels.is_digital("erp_orders", orders.channel)
    return orders


def digital_order_share(raw, tree, channels) -> list[dict]:
    cells = []
    orders = _orders_not_cancelled(raw, channels)
    for unit, rows in _per_unit(tree, orders):
        for month, group in rows.groupby("month"):
            k, n = int(group.digital.sum()), len(group)
            cells.append(_cell("digital_order_share", month, unit, k / n, k, n))
    return cells


def digital_revenue_share(raw, tree, channels) -> list[dict]:
    cells = []
    orders = _orders_not_cancelled(raw, channels)
    for unit, rows in _per_unit(tree, orders):
        for month, group in rows.groupby("month"):
            total = group.net_amount.sum()
            if total <= 0:
                continue
            digital = group.net_amount[group.digital].sum()
            cells.append(_cell("digital_revenue_share", month, unit, digital / total,
                               digital, total))
    return cells


def order_lead_time_days(raw, tree, channels) -> list[dict]:
    cells = []
    orders = _orders_not_cancelled(raw, channels)
    orders = orders[orders.confirmed_date.notna()].copy()
    orders["days"] = (orders.confirmed_date - orders.order_date).dt.days
    for unit, rows in _per_unit(tree, orders):
        for month, group in rows.groupby("month"):
            days = sorted(group.days)
            middle = len(days) // 2
            median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
            cells.append(_cell("order_lead_time_days", month, unit, median, None, len(days)))
    return cells


def repeat_customer_rate(raw, tree, channels) -> list[dict]:
    cells = []
    orders = _orders_not_cancelled(raw, channels)
    months = _month_range(raw["erp_orders"].order_date)
    for unit, rows in _per_unit(tree, orders):
        for month in months:
            window = rows[(rows.month > month - pd.DateOffset(months=12)) & (rows.month <= month)]
            counts = window.groupby("customer_id").size()
            if len(counts) == 0:
                continue
            repeat = int((counts >= 2).sum())
            cells.append(_cell("repeat_customer_rate", month, unit, repeat / len(counts),
                               repeat, len(counts)))
    return cells


# ----------------------------------------------------------------------------- CRM

def digital_interaction_share(raw, tree, channels) -> list[dict]:
    cells = []
    interactions = raw["crm_interactions"].copy()
    interactions["month"] = _month(interactions.occurred_at)
    interactions["digital"] = channels.is_digital("crm_interactions", interactions.channel)
    for unit, rows in _per_unit(tree, interactions):
        for month, group in rows.groupby("month"):
            k, n = int(group.digital.sum()), len(group)
            cells.append(_cell("digital_interaction_share", month, unit, k / n, k, n))
    return cells


def lead_win_rate(raw, tree, channels) -> list[dict]:
    cells = []
    leads = raw["crm_leads"].copy()
    leads["status_key"] = _norm(leads.status)
    leads = leads[leads.status_key.isin(["won", "lost"]) & leads.closed_date.notna()].copy()
    leads["month"] = _month(leads.closed_date)
    for unit, rows in _per_unit(tree, leads):
        for month, group in rows.groupby("month"):
            won, closed = int((group.status_key == "won").sum()), len(group)
            cells.append(_cell("lead_win_rate", month, unit, won / closed, won, closed))
    return cells


# ----------------------------------------------------------------------------- people

def _employed_on(employees: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    return employees[(employees.entry_date <= day)
                     & (employees.exit_date.isna() | (employees.exit_date >= day))]


def tool_adoption_rate(raw, tree, channels) -> list[dict]:
    cells = []
    employees = raw["hr_employees"]
    licences = raw["it_licenses"].copy()
    licences["tool_key"] = _norm(licences.tool)
    usage = raw["it_usage"].copy()
    usage["tool_key"] = _norm(usage.tool)
    usage["month"] = _month(usage.activity_date)
    for month in _month_range(raw["it_usage"].activity_date):
        day = _month_end(month)
        active = licences[(licences.assigned_from <= day) & (
            licences.assigned_until.isna() | (licences.assigned_until >= day))]
        staff = _employed_on(employees, day)[["employee_id", "org_unit_id"]]
        held = active.merge(staff, on="employee_id")
        used_pairs = set(zip(usage.employee_id[usage.month == month],
                             usage.tool_key[usage.month == month], strict=True))
        held["used"] = [(e, t) in used_pairs
                        for e, t in zip(held.employee_id, held.tool_key, strict=True)]
        for unit, rows in _per_unit(tree, held):
            used, total = int(rows.used.sum()), len(rows)
            cells.append(_cell("tool_adoption_rate", month, unit, used / total, used, total,
                               set(rows.employee_id)))
    return cells


def _required_courses(requirements: pd.DataFrame, role: str) -> set[str]:
    roles = _norm(requirements.role)
    wanted = (roles == "*") | (roles == str(role).strip().lower())
    return set(requirements.course_id[wanted].astype("str").str.strip())


def training_coverage(raw, tree, channels) -> list[dict]:
    cells = []
    employees = raw["hr_employees"].copy()
    requirements = raw["training_requirements"]
    employees["required"] = [_required_courses(requirements, role) for role in employees.role]
    employees = employees[employees.required.map(len) > 0]
    trainings = raw["lms_trainings"]
    done = trainings[_norm(trainings.status) == "completed"]
    for month in _month_range(trainings.completed_date):
        day = _month_end(month)
        completed = done[done.completed_date <= day]
        finished = set(zip(completed.employee_id, completed.course_id.str.strip(), strict=True))
        staff = _employed_on(employees, day).copy()
        staff["covered"] = [all((person, course) in finished for course in required)
                            for person, required in zip(staff.employee_id, staff.required,
                                                        strict=True)]
        for unit, group in _per_unit(tree, staff):
            covered, total = int(group.covered.sum()), len(group)
            cells.append(_cell("training_coverage", month, unit, covered / total, covered,
                               total, set(group.employee_id)))
    return cells


# ----------------------------------------------------------------------------- survey

def scored_answers(raw: dict) -> pd.DataFrame:
    """Survey answers with their question's dimension, the reverse-coded value and the
    0..100 score; `month` is the month of the latest submission of the answer's wave."""
    answers = raw["survey_responses"].merge(raw["survey_questions"], on="question_id")
    low, high = answers.scale_min, answers.scale_max
    reverse = answers.reverse_coded.fillna(False).astype(bool)
    answers["x"] = np.where(reverse, high + low - answers.answer, answers.answer)
    answers["score"] = 100 * (answers.x - low) / (high - low)
    latest = raw["survey_responses"].groupby("wave", as_index=False).submitted_at.max()
    answers = answers.merge(latest.rename(columns={"submitted_at": "wave_end"}), on="wave")
    answers["month"] = _month(answers.wave_end)
    return answers


def survey_kpis(raw, tree, channels) -> list[dict]:
    cells = []
    answers = scored_answers(raw)
    for (_wave, month), in_wave in answers.groupby(["wave", "month"]):
        for unit, rows in _per_unit(tree, in_wave):
            maturity = rows[rows.dimension.isin(MATURITY_DIMENSIONS)]
            if len(maturity):
                scores = maturity.groupby("dimension").score.mean()
                cells.append(_cell("digital_maturity_index", month, unit, scores.mean(), None,
                                   len(maturity), set(maturity.response_id)))
            acceptance = rows[rows.dimension == "acceptance"]
            if len(acceptance):
                agree = int((acceptance.x >= acceptance.scale_max - 1).sum())
                cells.append(_cell("acceptance_rate", month, unit, agree / len(acceptance),
                                   agree, len(acceptance), set(acceptance.response_id)))
            enps = rows[rows.dimension == "enps"]
            if len(enps):
                net = int((enps.x >= 9).sum()) - int((enps.x <= 6).sum())
                cells.append(_cell("enps", month, unit, 100 * net / len(enps), net, len(enps),
                                   set(enps.response_id)))
    return cells


# ----------------------------------------------------------------------------- projects

def milestone_as_of(raw: dict) -> pd.Timestamp:
    """The latest `status_date` or `actual_date` seen."""
    dates = pd.concat([raw["projects"].status_date, raw["project_milestones"].actual_date])
    return dates.max()


def milestone_on_time_rate(raw, tree, channels) -> list[dict]:
    """A rolling quarter: month M counts the milestones planned in M, M-1 and M-2; M runs over
    the months of the planned dates up to the as-of date."""
    cells = []
    reports = raw["projects"].sort_values("status_date")
    project_unit = reports.groupby("project_id").org_unit_id.last()
    milestones = raw["project_milestones"].copy()
    milestones["org_unit_id"] = milestones.project_id.map(project_unit)
    milestones = milestones[milestones.org_unit_id.notna()].copy()
    milestones["month"] = _month(milestones.planned_date)
    milestones = milestones[milestones.month <= milestone_as_of(raw)]
    milestones["on_time"] = milestones.actual_date.notna() & (
        milestones.actual_date <= milestones.planned_date)
    for unit, rows in _per_unit(tree, milestones):
        for month in _month_range(milestones.month):
            window = rows[(rows.month <= month)
                          & (rows.month >= month - pd.DateOffset(months=2))]
            if window.empty:
                continue
            on_time, total = int(window.on_time.sum()), len(window)
            cells.append(_cell("milestone_on_time_rate", month, unit, on_time / total,
                               on_time, total))
    return cells


def cost_performance_index(raw, tree, channels) -> list[dict]:
    cells = []
    reports = raw["projects"].copy()
    reports["month"] = _month(reports.status_date)
    latest = reports.sort_values("status_date").groupby(["project_id", "month"]).tail(1).copy()
    latest["ev"] = latest.percent_complete / 100 * latest.budget_eur
    for unit, rows in _per_unit(tree, latest):
        for month, group in rows.groupby("month"):
            ev, ac = group.ev.sum(), group.cost_to_date_eur.sum()
            if ac == 0:
                continue
            cells.append(_cell("cost_performance_index", month, unit, ev / ac, ev, ac))
    return cells


KPI_FUNCTIONS = [
    digital_order_share, digital_revenue_share, order_lead_time_days, digital_interaction_share,
    lead_win_rate, repeat_customer_rate, tool_adoption_rate, training_coverage, survey_kpis,
    milestone_on_time_rate, cost_performance_index,
]


# ----------------------------------------------------------------------------- assembly

def _apply_privacy(cells: pd.DataFrame, tree: OrgTree, min_group_size: int,
                   group_by: list[str]) -> pd.DataFrame:
    cells = cells.copy()
    cells["population"] = cells.people.map(lambda p: None if p is None else len(p))
    cells["suppressed"] = False
    people_rows = cells[cells.people.notna()]
    for _, group in people_rows.groupby(group_by):
        people = dict(zip(group.org_unit_id, group.people, strict=True))
        hidden = suppressed_units(people, tree, min_group_size)
        cells.loc[group.index[group.org_unit_id.isin(hidden)], "suppressed"] = True
    return cells


def _min_group_size(raw: dict, min_group_size: int | None) -> int:
    if min_group_size is None:
        settings = raw.get("settings")
        value = 5
        if settings is not None and (settings.key == "min_group_size").any():
            value = int(settings.value[settings.key == "min_group_size"].iloc[0])
        min_group_size = value
    return max(3, int(min_group_size))


def expected_kpi_monthly(raw: dict[str, pd.DataFrame],
                         min_group_size: int | None = 5) -> pd.DataFrame:
    """`marts.kpi_monthly` (None as `min_group_size`: take it from `raw["settings"]`)."""
    tree = OrgTree(raw["org_units"])
    channels = ChannelMap(raw.get("channels"))
    cells = pd.DataFrame([c for kpi in KPI_FUNCTIONS for c in kpi(raw, tree, channels)])
    cells = _apply_privacy(cells, tree, _min_group_size(raw, min_group_size),
                           ["kpi_id", "month"])
    hidden = cells.suppressed
    cells.loc[hidden, ["value", "numerator", "denominator"]] = np.nan
    cells["population"] = cells.population.where(~hidden).astype("Int64")
    cells["month"] = cells.month.astype("datetime64[us]")
    out = cells[COLUMNS].sort_values(["kpi_id", "month", "org_unit_id"])
    return out.reset_index(drop=True)


def dimension_cells(raw: dict[str, pd.DataFrame], tree: OrgTree) -> pd.DataFrame:
    """The maturity dimension cells before privacy: wave, month, org_unit_id, dimension,
    score, people (the responses that answered the dimension) and answers (their count)."""
    answers = scored_answers(raw)
    answers = answers[answers.dimension.isin(MATURITY_DIMENSIONS)]
    rows = []
    for (wave, month, dimension), group in answers.groupby(["wave", "month", "dimension"]):
        for unit, unit_rows in _per_unit(tree, group):
            rows.append({"wave": wave, "month": month, "org_unit_id": unit,
                         "dimension": dimension, "score": unit_rows.score.mean(),
                         "people": set(unit_rows.response_id), "answers": len(unit_rows)})
    return pd.DataFrame(rows)


def tool_cells(raw: dict[str, pd.DataFrame], tree: OrgTree) -> pd.DataFrame:
    """tool_adoption_rate per tool before privacy: the KPI's cells for one tool's licences,
    with `tool` (the first spelling seen) and `tool_key` (trimmed, lower case)."""
    names = (raw["it_licenses"].assign(tool_key=lambda f: _norm(f.tool),
                                       tool=lambda f: f.tool.str.strip())
             .groupby("tool_key").tool.min())
    rows = []
    for tool_key, name in names.items():
        only = dict(raw)
        only["it_licenses"] = raw["it_licenses"][_norm(raw["it_licenses"].tool) == tool_key]
        for cell in tool_adoption_rate(only, tree, None):
            rows.append(cell | {"tool": name, "tool_key": tool_key})
    return pd.DataFrame(rows)


def _linked(total: pd.DataFrame, parts: pd.DataFrame, tree: OrgTree, k: int,
            total_key: str, part_key: str, mean: bool = False) -> pd.Series:
    """The suppressed flags of `parts` under the linked-tables rule, per value of
    `total_key` (the month of the total cell; `total` has its cells, `suppressed` set).
    A mean (`mean`: the total is the mean of its parts) is weighted by `answers` through
    the tree, and its total is not additive."""
    flags = pd.Series(False, index=parts.index)
    for when, group in parts.groupby(total_key):
        totals = total[total.month == when]
        total_hidden = set(totals.org_unit_id[totals.suppressed])
        total_hidden |= set(group.org_unit_id) - set(totals.org_unit_id)
        breakdown = {value: dict(zip(cells.org_unit_id, cells.people, strict=True))
                     for value, cells in group.groupby(part_key)}
        weights = None
        if mean:
            weights = {value: dict(zip(cells.org_unit_id, cells.answers, strict=True))
                       for value, cells in group.groupby(part_key)}
        hidden = closed_suppression(dict(zip(totals.org_unit_id, totals.people, strict=True)),
                                    total_hidden, breakdown, tree, k,
                                    additive_total=not mean, mean=mean, weights=weights)
        flags[group.index] = [unit in hidden[value] for unit, value
                              in zip(group.org_unit_id, group[part_key], strict=True)]
    return flags


def expected_maturity_by_dimension(raw: dict[str, pd.DataFrame],
                                   min_group_size: int | None = 5) -> pd.DataFrame:
    """`marts.maturity_by_dimension`: score per wave, unit and maturity dimension, with the
    privacy rules applied per wave and dimension and linked to the index."""
    tree = OrgTree(raw["org_units"])
    k = _min_group_size(raw, min_group_size)
    cells = dimension_cells(raw, tree)
    index = pd.DataFrame([c for c in survey_kpis(raw, tree, None)
                          if c["kpi_id"] == "digital_maturity_index"])
    index = _apply_privacy(index, tree, k, ["kpi_id", "month"])
    cells["population"] = cells.people.map(len)
    cells["suppressed"] = _linked(index, cells, tree, k, "month", "dimension", mean=True)
    cells.loc[cells.suppressed, "score"] = np.nan
    cells["population"] = cells.population.where(~cells.suppressed).astype("Int64")
    cells["month"] = cells.month.astype("datetime64[us]")
    columns = ["wave", "month", "org_unit_id", "dimension", "score", "population", "suppressed"]
    return cells[columns].sort_values(["wave", "dimension", "org_unit_id"]).reset_index(drop=True)


def expected_tool_adoption(raw: dict[str, pd.DataFrame],
                           min_group_size: int | None = 5) -> pd.DataFrame:
    """`marts.tool_adoption`: tool_adoption_rate per tool, the privacy rule per (tool,
    month), linked to the unit's tool_adoption_rate cell of the month."""
    tree = OrgTree(raw["org_units"])
    k = _min_group_size(raw, min_group_size)
    kpi = _apply_privacy(pd.DataFrame(tool_adoption_rate(raw, tree, None)), tree, k,
                         ["kpi_id", "month"])
    cells = tool_cells(raw, tree)
    cells["population"] = cells.people.map(len)
    cells["suppressed"] = _linked(kpi, cells, tree, k, "month", "tool_key")
    hidden = cells.suppressed
    cells.loc[hidden, ["value", "numerator", "denominator"]] = np.nan
    cells["population"] = cells.population.where(~hidden).astype("Int64")
    cells["month"] = cells.month.astype("datetime64[us]")
    columns = ["month", "org_unit_id", "tool", "value", "numerator", "denominator",
               "population", "suppressed"]
    return cells[columns].sort_values(["month", "org_unit_id", "tool"]).reset_index(drop=True)
