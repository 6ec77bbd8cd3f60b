"""`marts.kpi_status`: each KPI's latest published value against its target path (phase 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kpis import expected_kpi_monthly, milestone_as_of
from .org import OrgTree

DOWN_KPIS = {"order_lead_time_days"}
COLUMNS = ["kpi_id", "org_unit_id", "month", "value", "baseline_value", "target_value",
           "expected_value", "tolerance", "status", "progress", "trend_3m",
           "forecast_at_target_date", "target_date", "data_as_of", "red_below", "amber_below"]
# The KPI's range (docs/kpis.md, "clamped to the KPI's range"): shares 0..1, eNPS -100..100,
# the maturity index 0..100, lead time and CPI not below 0 (and without an upper end).
SHARE_KPIS = {"digital_order_share", "digital_revenue_share", "digital_interaction_share",
              "lead_win_rate", "repeat_customer_rate", "tool_adoption_rate",
              "training_coverage", "acceptance_rate", "milestone_on_time_rate"}
RANGES = {kpi: (0.0, 1.0) for kpi in SHARE_KPIS} | {
    "enps": (-100.0, 100.0), "digital_maturity_index": (0.0, 100.0),
    "order_lead_time_days": (0.0, np.inf), "cost_performance_index": (0.0, np.inf),
}


def data_as_of(raw: dict[str, pd.DataFrame]) -> dict[str, pd.Timestamp]:
    """The latest period date loaded per KPI (cancelled orders count)."""
    def day(values: pd.Series) -> pd.Timestamp:
        latest = pd.Timestamp(values.max())
        return latest if pd.isna(latest) else latest.normalize()

    order_day = day(raw["erp_orders"].order_date)
    survey_day = day(raw["survey_responses"].submitted_at)
    return {
        "digital_order_share": order_day, "digital_revenue_share": order_day,
        "order_lead_time_days": order_day, "repeat_customer_rate": order_day,
        "digital_interaction_share": day(raw["crm_interactions"].occurred_at),
        "lead_win_rate": day(raw["crm_leads"].closed_date),
        "tool_adoption_rate": day(raw["it_usage"].activity_date),
        "training_coverage": day(raw["lms_trainings"].completed_date),
        "digital_maturity_index": survey_day, "acceptance_rate": survey_day, "enps": survey_day,
        "milestone_on_time_rate": day(pd.Series([milestone_as_of(raw)])),
        "cost_performance_index": day(raw["projects"].status_date),
    }


def trend(months: list[pd.Timestamp], values: list[float]) -> float | None:
    """The change per month: least-squares slope over the last three values, each at x =
    12 × year + month of its month (gaps between the values count)."""
    if len(values) < 3:
        return None
    y = np.array(values[-3:], dtype=float)
    x = np.array([12.0 * m.year + m.month for m in months[-3:]])
    return float(((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum())


def clamp(kpi: str, value: float) -> float:
    low, high = RANGES[kpi]
    return float(min(high, max(low, value)))


def expected_value(target: pd.Series, month: pd.Timestamp) -> float:
    """Where the target path stands at the end of `month`."""
    end = month + pd.offsets.MonthEnd(0)
    span = (target.target_date - target.baseline_date).days
    elapsed = (end - target.baseline_date).days
    fraction = 1.0 if span == 0 else min(1.0, max(0.0, elapsed / span))
    return target.baseline_value + (target.target_value - target.baseline_value) * fraction


def in_force(targets: pd.DataFrame, kpi: str, unit: str, month: pd.Timestamp) -> pd.Series | None:
    """The target row in force for `month`: the latest `valid_from` (none: since the
    beginning) on or before the month's last day; None when no row is in force yet."""
    end = month + pd.offsets.MonthEnd(0)
    rows = targets[(targets.kpi_id == kpi) & (targets.org_unit_id == unit)]
    since = pd.to_datetime(rows.valid_from)
    rows = rows[since.isna() | (since <= end)]
    if rows.empty:
        return None
    order = pd.to_datetime(rows.valid_from).fillna(pd.Timestamp.min)
    return rows.loc[order.idxmax()]


def expected_kpi_status(raw: dict[str, pd.DataFrame], kpi_monthly: pd.DataFrame | None = None,
                        min_group_size: int | None = 5) -> pd.DataFrame:
    """One row per (kpi, unit) with at least one published value."""
    monthly = kpi_monthly if kpi_monthly is not None else expected_kpi_monthly(
        raw, min_group_size)
    published = monthly[~monthly.suppressed.astype(bool) & monthly.value.notna()]
    targets = raw["kpi_targets"]
    if "valid_from" not in targets.columns:
        targets = targets.assign(valid_from=pd.NaT)
    as_of = data_as_of(raw)
    rows = []
    for (kpi, unit), series in published.sort_values("month").groupby(["kpi_id", "org_unit_id"]):
        month = pd.Timestamp(series.month.iloc[-1])
        value = float(series.value.iloc[-1])
        slope = trend([pd.Timestamp(m) for m in series.month], list(series.value))
        row = {"kpi_id": kpi, "org_unit_id": unit, "month": month, "value": value,
               "baseline_value": None, "target_value": None, "expected_value": None,
               "tolerance": None, "status": "no_target", "progress": None, "trend_3m": slope,
               "forecast_at_target_date": None, "target_date": pd.NaT,
               "data_as_of": as_of[kpi]}
        target = in_force(targets, kpi, unit, month)
        if target is not None:
            expected = expected_value(target, month)
            gap = expected - value if kpi in DOWN_KPIS else value - expected
            span = target.target_value - target.baseline_value
            months_left = (12 * (target.target_date.year - month.year)
                           + target.target_date.month - month.month)
            row |= {
                "baseline_value": float(target.baseline_value),
                "target_value": float(target.target_value),
                "expected_value": float(expected), "tolerance": float(target.tolerance),
                "status": "green" if gap >= 0 else "amber" if gap >= -target.tolerance else "red",
                "progress": None if span == 0 else float((value - target.baseline_value) / span),
                "forecast_at_target_date": (None if slope is None
                                            else clamp(kpi, value + slope * months_left)),
                "target_date": target.target_date,
            }
        rows.append(row)
    _count_below(rows, OrgTree(raw["org_units"]))
    out = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("baseline_value", "target_value", "expected_value", "tolerance", "progress",
                   "trend_3m", "forecast_at_target_date", "value"):
        out[column] = out[column].astype("float64")
    for column in ("red_below", "amber_below"):
        out[column] = out[column].astype("int64")
    for column in ("month", "target_date", "data_as_of"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[us]")
    return out.sort_values(["kpi_id", "org_unit_id"]).reset_index(drop=True)


def _count_below(rows: list[dict], tree: OrgTree) -> None:
    """red_below / amber_below: the units strictly below a unit that are red / amber on the
    same KPI."""
    status = {(row["kpi_id"], row["org_unit_id"]): row["status"] for row in rows}
    for row in rows:
        below = [status.get((row["kpi_id"], unit)) for unit in tree.units
                 if tree.is_below(unit, row["org_unit_id"])]
        row["red_below"] = below.count("red")
        row["amber_below"] = below.count("amber")
